/*
 * unit_reply's test cases that test_reply_values.c defines for main() in
 * test_reply.c.
 */
#ifndef TEST_REPLY_H
#define TEST_REPLY_H

void test_parse_uidl(void **state);
void test_parse_values_random(void **state);
void test_capa_bit(void **state);
void test_apop_timestamp(void **state);

#endif

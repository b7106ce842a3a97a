/*
 * unit_parse's shared pieces: the split mode's name for failure messages,
 * and the test cases test_parse_lines.c defines for main() in test_parse.c.
 */
#ifndef TEST_PARSE_H
#define TEST_PARSE_H

#include "fake_transport.h"

static inline const char *mode_name(ft_split_mode_t m)
{
    return m == FT_WHOLE ? "whole" : m == FT_AT ? "split" : "byte-by-byte";
}

void test_status_lines(void **state);
void test_status_too_long(void **state);
void test_status_max_rfc_line(void **state);
void test_single_line_values(void **state);
void test_multi_line_entries(void **state);
void test_list_line_too_long(void **state);
void test_capa_explicit(void **state);
void test_capa_err_plaintext(void **state);
void test_capa_explicit_err(void **state);
void test_capa_long_line(void **state);

#endif

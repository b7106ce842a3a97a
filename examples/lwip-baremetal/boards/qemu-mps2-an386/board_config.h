/**
 * @file board_config.h
 * @brief TEST-BOARD-ONLY settings for src/main.c on QEMU's mps2-an386
 *        (included through -DFW_BOARD_CONFIG): the server, the login and the
 *        trust anchor come from the QEMU command line at run time
 *        (qemu_run.h), so one image serves every test run.
 */
#ifndef QEMU_BOARD_CONFIG_H
#define QEMU_BOARD_CONFIG_H

#include "qemu_run.h"

#define FW_POP3_ADDR "10.0.2.2" /* QEMU user network: the host's 127.0.0.1 */
#define FW_POP3_HOST qemu_run_host()
#define FW_POP3_PORT qemu_run_port()
#define FW_POP3_SECURITY qemu_run_security()
#define FW_POP3_USER qemu_run_user()
#define FW_POP3_PASS qemu_run_pass()
#define FW_POP3_OAUTH2_TOKEN_READ qemu_run_token_read /* token=PATH: XOAUTH2 */
#define FW_POP3_OAUTH2_TOKEN_LEN qemu_run_token_len()
#define FW_TRUST_ANCHORS qemu_run_ca()
#define FW_TRUST_ANCHORS_LEN qemu_run_ca_len()
#define FW_ALLOW_PLAINTEXT_LOGIN ((FW_POP3_SECURITY) == POP3_SEC_PLAINTEXT) /* the test's clear-text run */
#define FW_FETCH_INTERVAL_MS 0U /* first session at once; the run ends after it */
/* Command mail: a TEST KEY, public in this file; test/qemu/run.sh signs with it. A product
 * provisions a key of its own per device and never builds one into its image. */
#ifndef FW_CMDMAIL_DEVICE
#define FW_CMDMAIL_DEVICE "qemu-mps2-1"
#endif
#ifndef FW_CMDMAIL_KEY_HEX
#define FW_CMDMAIL_KEY_HEX "a179fc953c2ec0aa784910f800e359ab391fcabdb2a6fc38afb534c0fa3060a0"
#endif

#endif /* QEMU_BOARD_CONFIG_H */

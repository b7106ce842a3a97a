/*
 * Sample user configuration: copy it into your project, edit, and build with
 *   -DPOP3_CONFIG_FILE=\"pop3_config_sample.h\"
 * Anything not defined here keeps its default from pop3_config_defaults.h.
 */
#ifndef POP3_CONFIG_SAMPLE_H
#define POP3_CONFIG_SAMPLE_H

#include <stdio.h>

/* A small device: fewer queued commands, shorter timeouts. */
#define POP3_QUEUE_LEN 4U
#define POP3_REPLY_TIMEOUT_MS 15000U

/* Route the library's diagnostics to stdout (never carries secrets). */
#define POP3_LOG_ERROR(args) do { printf("pop3 error: "); printf args; printf("\n"); } while (0)
#define POP3_LOG_WARN(args)  do { printf("pop3 warn: "); printf args; printf("\n"); } while (0)

#endif

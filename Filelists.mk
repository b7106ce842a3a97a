# Source lists of the POP3 library for make-based (firmware) builds, in the manner of
# lwIP's src/Filelists.mk. The same lists as Filelists.cmake (the test "filelists"
# checks that they agree). Use:
#
#   POP3_DIR := path/to/pop3          # optional: defaults to this file's directory
#   include $(POP3_DIR)/Filelists.mk
#   SRCS   += $(POP3_CORE_SRCS) $(POP3_TLS_SRCS) $(POP3_LWIP_SRCS)
#   CFLAGS += $(addprefix -I,$(POP3_CORE_INCLUDE_DIRS) $(POP3_TLS_INCLUDE_DIRS) $(POP3_LWIP_INCLUDE_DIRS))
#
# Defines variables only, no rules.
ifeq ($(POP3_DIR),)
POP3_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
endif

# Protocol engine (no I/O; C library only, plus mbedTLS MD5 when POP3_APOP_ENABLE=1 and
# base64/MD/SHA/PKCS5 when POP3_SASL_ENABLE=1: see config/pop3_config_defaults.h).
POP3_CORE_SRCS := \
	$(POP3_DIR)/core/src/pop3_api.c \
	$(POP3_DIR)/core/src/pop3_session.c \
	$(POP3_DIR)/core/src/pop3_dispatch.c \
	$(POP3_DIR)/core/src/pop3_queue.c \
	$(POP3_DIR)/core/src/pop3_reply.c \
	$(POP3_DIR)/core/src/pop3_body.c \
	$(POP3_DIR)/core/src/pop3_util.c \
	$(POP3_DIR)/core/src/pop3_apop.c \
	$(POP3_DIR)/core/src/pop3_sasl.c \
	$(POP3_DIR)/core/src/pop3_sasl_codec.c \
	$(POP3_DIR)/core/src/pop3_sasl_crypto.c
POP3_CORE_INCLUDE_DIRS := $(POP3_DIR)/core/include $(POP3_DIR)/config

# TLS adapter: mbedTLS over any non-blocking byte pipe (both ports use it).
POP3_TLS_SRCS := \
	$(POP3_DIR)/port/mbedtls/pop3_tls.c \
	$(POP3_DIR)/port/mbedtls/pop3_tls_util.c \
	$(POP3_DIR)/port/mbedtls/pop3_tls_info.c \
	$(POP3_DIR)/port/mbedtls/pop3_link.c
POP3_TLS_INCLUDE_DIRS := $(POP3_DIR)/port/mbedtls

# lwIP port (altcp raw API; needs lwIP's include dirs and your lwipopts.h).
POP3_LWIP_SRCS := $(POP3_DIR)/port/lwip/pop3_lwip.c
POP3_LWIP_INCLUDE_DIRS := $(POP3_DIR)/port/lwip

# POSIX port (non-blocking sockets, poll()).
POP3_POSIX_SRCS := $(POP3_DIR)/port/posix/pop3_posix.c
POP3_POSIX_INCLUDE_DIRS := $(POP3_DIR)/port/posix

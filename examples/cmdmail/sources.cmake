# The command-mail module's sources (no I/O, no pop3 dependency), for every build
# that compiles them itself: this folder's CMakeLists.txt, test/cmdmail/nv.cmake,
# test/fuzz and the firmware. cmdmail_poll.c (needs pop3.h) is listed apart.
set(CMDMAIL_DIR ${CMAKE_CURRENT_LIST_DIR})
set(CMDMAIL_SRCS ${CMDMAIL_DIR}/cmdmail.c ${CMDMAIL_DIR}/cmdmail_block.c ${CMDMAIL_DIR}/cmdmail_mime.c)
set(CMDMAIL_POLL_SRCS ${CMDMAIL_DIR}/cmdmail_poll.c)

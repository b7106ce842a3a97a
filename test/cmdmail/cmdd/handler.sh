#!/bin/sh
# pop3-cmdd test handler: records each command it is given, then acts on a few words.
#   $CMDD_HANDLER_LOG  gets "SEQ INDEX DEVICE WORD..." per run (before anything slow)
#   slow: writes its pid to $CMDD_SLOW_MARK and sleeps $CMDD_SLOW_SECONDS (default 30)
#         as that pid (exec), so the test can end exactly this process
#   fail N: exits N
printf '%s %s %s %s\n' "$CMDMAIL_SEQ" "$CMDMAIL_INDEX" "$CMDMAIL_DEVICE" "$*" >>"$CMDD_HANDLER_LOG"
case $1 in
  slow) echo $$ >"$CMDD_SLOW_MARK.tmp" && mv "$CMDD_SLOW_MARK.tmp" "$CMDD_SLOW_MARK"
        exec sleep "${CMDD_SLOW_SECONDS:-30}" ;;
  fail) exit "$2" ;;
esac
exit 0

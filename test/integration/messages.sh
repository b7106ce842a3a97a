# Test messages shared by the server fixtures (dovecot.sh, mailutils.sh):
# generators that print one message each, LF line ends (a fixture converts
# them to its store's format).  Sourced; defines functions only, and the two
# size targets.
BIG_TARGET=$((20 * 1024 * 1024))
MID_TARGET=$((256 * 1024))

# Body generator: deterministic, many lines starting with "." and "..",
# lines of varying length (0..~7000), lines that are exactly "." / "..".
# Ends with a line that is exactly "." (so the wire ends in "..\r\n.\r\n").
gen_body() { # target-bytes seed
  awk -v target="$1" -v seed="$2" 'BEGIN {
    alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_=+/()"
    base = ""; while (length(base) < 9000) base = base alpha
    n = 0; i = 0
    while (n < target) {
      i++
      r = (i * 7919 + seed * 104729) % 1009
      k = (i + seed) % 11
      if (k == 0) pre = "."; else if (k == 1) pre = "..";
      else if (k == 2) pre = "..."; else if (k == 3) pre = ". ";
      else if (k == 4) pre = "\t."; else pre = ""
      len = r % 140
      if (i % 997 == 0) len = 1000 + (i * 31) % 6000
      line = pre substr(base, (i % 61) + 1, len)
      if (i % 101 == 0) line = "."
      else if (i % 103 == 0) line = ".."
      else if (i % 107 == 0) line = ""
      else if (i % 109 == 0) line = ".\t"
      else if (i % 113 == 0) line = "...."
      print line
      n += length(line) + 2
    }
    print "."
  }'
}

hdr() { # seed-tag subject
  printf 'Return-Path: <sender@example.org>\n'
  printf 'From: Test Sender <sender@example.org>\n'
  printf 'To: Alice <alice@localhost>\n'
  printf 'Subject: %s\n' "$2"
  printf 'Date: Mon, 01 Jan 2024 00:00:00 +0000\n'
  printf 'Message-ID: <%s@pop3-test.example.org>\n' "$1"
  printf 'MIME-Version: 1.0\n'
  printf 'Content-Type: text/plain; charset=utf-8\n'
  printf 'X-Seed: %s\n' "$1"
}

msg_small() {
  hdr small "Small message one"
  printf '\nHello Alice,\nthis is a small message. UTF-8: gr\303\274\303\237e \342\234\223\n\nBye.\n'
}

msg_dots() {
  hdr dots "Lines starting with dots"
  printf '\n.\n..\n...\n.leading dot\n..two leading dots\n. space after dot\n'
  printf 'a line with a . inside\n\n.\n.\r<-bare CR after a leading dot\nnormal\n..\n.\n'
}

msg_empty() { hdr empty "Empty body"; printf '\n'; }

msg_longhdr() {
  printf 'Return-Path: <sender@example.org>\nFrom: Test Sender <sender@example.org>\n'
  printf 'To: Alice <alice@localhost>\n'
  printf 'Subject: A long folded subject'
  local i
  for i in $(seq 1 40); do printf '\n word%02d with some folding text to make it long' "$i"; done
  printf '\nX-Long-Unfolded: '
  for i in $(seq 1 300); do printf 'token%03d-' "$i"; done
  printf '\nReferences:'
  for i in $(seq 1 60); do printf '\n <ref-%03d@pop3-test.example.org>' "$i"; done
  printf '\nMessage-ID: <longhdr@pop3-test.example.org>\nX-Seed: longhdr\n'
  printf '\nShort body after a long header.\n'
}

msg_mid() { hdr mid "Mid-size dot-heavy message"; printf '\n'; gen_body "$MID_TARGET" 7; }
msg_big() { hdr big "Big 20 MB dot-heavy message"; printf '\n'; gen_body "$BIG_TARGET" 3; }

msg_bob() { # n
  printf 'From: Test Sender <sender@example.org>\nTo: Bob <bob@localhost>\n'
  printf 'Subject: Bob message %s\nMessage-ID: <bob-%s@pop3-test.example.org>\n' "$1" "$1"
  printf 'X-Seed: bob-%s\n\nThis is message %s for bob.\n.\n' "$1" "$1"
}

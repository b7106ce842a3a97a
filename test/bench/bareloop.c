/*
 * bareloop: the floor of the bulk benchmark. Connects to 127.0.0.1:PORT,
 * sends USER, PASS, RETR N and QUIT in one write, and copies everything the
 * server sends to stdout until it closes: no parsing, no unstuffing, so any
 * client's time beyond this is its own work.
 *
 *   bareloop PORT N [RECV_SIZE]
 *
 * RECV_SIZE (default 16384, the POSIX port's POP3_POSIX_RX_BUF_LEN) is the
 * most one recv() asks for, so the floor reads in the pieces the client does.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_io.h"

int main(int argc, char **argv)
{
    static char buf[1024 * 1024];
    size_t want = 16384;
    struct sockaddr_in a;
    char cmd[128];
    int fd, n;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: bareloop PORT N [RECV_SIZE]\n");
        return 2;
    }
    if (argc == 4) {
        want = (size_t)strtoul(argv[3], NULL, 10);
        if (want == 0 || want > sizeof buf) {
            fprintf(stderr, "bareloop: RECV_SIZE is 1..%zu\n", sizeof buf);
            return 2;
        }
    }
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("bareloop: connect");
        return 3;
    }
    n = snprintf(cmd, sizeof cmd, "USER bench\r\nPASS bench\r\nRETR %s\r\nQUIT\r\n", argv[2]);
    if (n < 0 || (size_t)n >= sizeof cmd || write_all(fd, cmd, (size_t)n) != 0) {
        perror("bareloop: send");
        return 3;
    }
    for (;;) {
        ssize_t r = recv(fd, buf, want, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            perror("bareloop: recv");
            return 3;
        }
        if (r == 0) {
            break;
        }
        if (write_all(1, buf, (size_t)r) != 0) {
            perror("bareloop: write");
            return 1;
        }
    }
    close(fd);
    return 0;
}

/**
 * @file lwipopts.h
 * @brief lwIP 2.2.1 options for the bare-metal POP3 example: NO_SYS=1 main
 *        loop, raw/altcp API only, IPv4 + TCP + UDP (DNS, DHCP), optional IPv6.
 *
 * Sizing (one POP3 session, TLS in pop3_tls_t over plain altcp_tcp):
 * - Receive: frames land in PBUF_POOL. The TLS adapter hands ciphertext to
 *   mbedTLS as it arrives and the port acknowledges (altcp_recved) what was
 *   consumed, so TCP_WND does NOT have to hold a 16 KiB TLS record (mbedTLS's
 *   own input buffer does). A window of 4 segments keeps a 20 MB RETR moving.
 * - Send: POP3 commands are < 256 octets and the TLS handshake messages a
 *   client sends are small (ClientHello, key exchange, Finished): 2 MSS.
 * - MEM_SIZE (lwIP's own heap, a static array, not malloc) holds the copied
 *   transmit segments (altcp_write with TCP_WRITE_FLAG_COPY) and ARP/DNS odds.
 *
 * Build switches (set by CMakeLists.txt): FW_IPV6, FW_DHCP, FW_LWIP_NOASSERT.
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#ifndef FW_IPV6
#define FW_IPV6 0
#endif
#ifndef FW_DHCP
#define FW_DHCP 1
#endif
#ifndef FW_LWIP_NOASSERT
#define FW_LWIP_NOASSERT 1
#endif

/* ---- System ------------------------------------------------------------- */
#define NO_SYS                      1   /* main loop, no OS, no threads */
#define SYS_LIGHTWEIGHT_PROT        0   /* lwIP never called from interrupts here */
#define LWIP_NETCONN                0
#define LWIP_SOCKET                 0
#define LWIP_NETIF_API              0
#define LWIP_TIMERS                 1   /* sys_check_timeouts() from the main loop */
#define LWIP_SINGLE_NETIF           1   /* one Ethernet interface: smaller netif code */

#if FW_LWIP_NOASSERT
#define LWIP_NOASSERT               1   /* drop LWIP_ASSERT strings and checks (size) */
#endif

/* ---- Memory: static pools, lwIP's own heap (no libc malloc) ---------------- */
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               4
#define MEM_SIZE                    (8 * 1024)
#define MEMP_NUM_PBUF               8   /* PBUF_ROM/REF: rarely used by raw TCP */
#define MEMP_NUM_RAW_PCB            0
#define MEMP_NUM_UDP_PCB            3   /* DNS, DHCP, one spare */
#define MEMP_NUM_TCP_PCB            2   /* the POP3 session (+1 in TIME_WAIT after QUIT) */
#define MEMP_NUM_TCP_PCB_LISTEN     0
#define MEMP_NUM_TCP_SEG            16  /* >= TCP_SND_QUEUELEN */
#define MEMP_NUM_ALTCP_PCB          MEMP_NUM_TCP_PCB
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)
#define PBUF_POOL_SIZE              10
#define PBUF_POOL_BUFSIZE           LWIP_MEM_ALIGN_SIZE(TCP_MSS + 40 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

/* ---- Link layer ---------------------------------------------------------- */
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define ARP_TABLE_SIZE              4
#define ARP_QUEUEING                0
#define ETH_PAD_SIZE                0
#define LWIP_NETIF_LINK_CALLBACK    0
#define LWIP_NETIF_STATUS_CALLBACK  0
#define LWIP_NETIF_HOSTNAME         0

/* ---- IPv4 / IPv6 ----------------------------------------------------------- */
#define LWIP_IPV4                   1
#define IP_FORWARD                  0
#define IP_REASSEMBLY               0   /* TCP segments are never fragmented with a sane MSS */
#define IP_FRAG                     0
#define LWIP_ICMP                   1
#define LWIP_RAW                    0
#define LWIP_IGMP                   0
#define LWIP_AUTOIP                 0
#define LWIP_ACD                    0
#define LWIP_DHCP                   FW_DHCP
#define LWIP_DHCP_DOES_ACD_CHECK    0

#define LWIP_IPV6                   FW_IPV6
#if FW_IPV6
#define LWIP_IPV6_AUTOCONFIG        1   /* SLAAC from router advertisements */
#define LWIP_IPV6_MLD               1   /* needed for neighbour discovery on real switches */
#define LWIP_IPV6_FRAG              0
#define LWIP_IPV6_REASS             0
#define LWIP_IPV6_DHCP6             0
#define LWIP_ND6_NUM_NEIGHBORS      4
#define LWIP_ND6_NUM_DESTINATIONS   4
#define LWIP_ND6_NUM_ROUTERS        2
#define LWIP_ND6_NUM_PREFIXES       2
#define MEMP_NUM_ND6_QUEUE          4
#endif

/* ---- UDP / DNS ------------------------------------------------------------- */
#define LWIP_UDP                    1
#define LWIP_DNS                    1
#define DNS_TABLE_SIZE              2
#define DNS_MAX_NAME_LENGTH         128
#define DNS_MAX_SERVERS             2
#define LWIP_DNS_SECURE             (LWIP_DNS_SECURE_RAND_XID | LWIP_DNS_SECURE_NO_MULTIPLE_OUTSTANDING | LWIP_DNS_SECURE_RAND_SRC_PORT)
#if FW_IPV6
#define LWIP_DNS_ADDRTYPE_DEFAULT   LWIP_DNS_ADDRTYPE_IPV4_IPV6
#endif

/* ---- TCP ----------------------------------------------------------------- */
#define LWIP_TCP                    1
#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (2 * TCP_MSS)
#define TCP_SND_QUEUELEN            ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_QUEUE_OOSEQ             0   /* drop out-of-order segments: saves pbufs */
#define LWIP_TCP_SACK_OUT           0
#define LWIP_TCP_KEEPALIVE          0
#define LWIP_WND_SCALE              0
#define TCP_LISTEN_BACKLOG          0
#define LWIP_CALLBACK_API           1

/* ---- altcp: the layer the POP3 port talks to (plain TCP; TLS is ours) -------- */
#define LWIP_ALTCP                  1
#define LWIP_ALTCP_TLS              0   /* mbedTLS runs in port/mbedtls/pop3_tls.c, not altcp_tls */

/* ---- Checksums: software here; a MAC with checksum offload can switch these off */
#define CHECKSUM_GEN_IP             1
#define CHECKSUM_GEN_UDP            1
#define CHECKSUM_GEN_TCP            1
#define CHECKSUM_CHECK_IP           1
#define CHECKSUM_CHECK_UDP          1
#define CHECKSUM_CHECK_TCP          1
#define LWIP_CHECKSUM_ON_COPY       0
/* lwIP's checksum version 3 (32-bit loads, 8 octets per loop pass; the default, 2, sums two
 * octets at a time): every received octet is checksummed once in software on a MAC without
 * checksum offload. Measured under QEMU: 3.2 -> 1.7 instructions per octet. */
#define LWIP_CHKSUM_ALGORITHM       3

/* ---- No statistics, no debug output ---------------------------------------- */
#define LWIP_STATS                  0
#define LWIP_STATS_DISPLAY          0
#define LWIP_DEBUG                  0
#define PPP_SUPPORT                 0

#endif /* LWIPOPTS_H */

/* lwIP options for the host tests: NO_SYS=1, altcp, IPv4+IPv6, one netif. */
#ifndef POP3_TEST_LWIPOPTS_H
#define POP3_TEST_LWIPOPTS_H

#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_NETCONN                0
#define LWIP_SOCKET                 0
#define LWIP_TIMERS                 1

#define LWIP_IPV4                   1
#define LWIP_IPV6                   1
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_ALTCP                  1
#define LWIP_ALTCP_TLS              0
#define LWIP_DHCP                   0
#define LWIP_AUTOIP                 0
#define LWIP_IPV6_AUTOCONFIG        0
#define LWIP_IPV6_DHCP6             0
#define LWIP_IPV6_MLD               0
#define IPV6_FRAG_COPYHEADER        1 /* 64-bit host: pointers do not fit the IPv6 fragment header */
#define LWIP_ND6_NUM_NEIGHBORS      4
#define LWIP_HAVE_LOOPIF            0
#define LWIP_NETIF_LOOPBACK         0

/* DNS: names resolve from a local table in the tests (slirp's DNS is off). */
#define LWIP_DNS                    1
#define DNS_LOCAL_HOSTLIST          1
#define DNS_LOCAL_HOSTLIST_IS_DYNAMIC 1

/* Memory: lwIP's own static heap and pools (no libc malloc). */
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               8
#define MEM_SIZE                    (256 * 1024)
#define MEMP_NUM_PBUF               64
#define MEMP_NUM_TCP_PCB            8
#define MEMP_NUM_TCP_SEG            128
#define MEMP_NUM_UDP_PCB            4
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2)
#define PBUF_POOL_SIZE              64
#define PBUF_POOL_BUFSIZE           1600

/* TCP: a window well below one TLS record (16 KiB), to show that the TLS
 * adapter does not need a record-sized window; overridable for experiments. */
#define TCP_MSS                     1460
#ifndef TCP_WND
#define TCP_WND                     (4 * TCP_MSS)
#endif
#define TCP_SND_BUF                 (4 * TCP_MSS)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ             1
#define LWIP_TCP_KEEPALIVE          0
#define TCP_LISTEN_BACKLOG          0

#define LWIP_STATS                  1
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define LINK_STATS                  0
#define IP_STATS                    0
#define IPFRAG_STATS                0
#define ICMP_STATS                  0
#define UDP_STATS                   0
#define TCP_STATS                   0
#define SYS_STATS                   0
#define ETHARP_STATS                0
#define IP6_STATS                   0
#define ICMP6_STATS                 0
#define ND6_STATS                   0
#define MLD6_STATS                  0
#define IP6_FRAG_STATS              0

#define LWIP_NETIF_STATUS_CALLBACK  0
#define LWIP_NETIF_LINK_CALLBACK    0
#define LWIP_CHECKSUM_ON_COPY       0

#endif

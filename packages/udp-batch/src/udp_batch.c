/*
 * @dnsmesh/udp-batch: batched UDP receive and send for Node.js on Linux.
 *
 * One non-blocking UDP socket per BatchSocket, watched by a libuv uv_poll handle in Node's own
 * event loop. When the socket is readable we drain it with recvmmsg() into preallocated slots (up
 * to `batch` datagrams), call JavaScript ONCE for the whole batch, then send every reply the
 * JavaScript wrote in place with ONE sendmmsg().
 *
 * Memory shared with JavaScript is a single ArrayBuffer created here (so V8 owns it and it never
 * moves), laid out as:
 *
 *   [stats: 8 doubles][lens: batch x u16][addrs: batch x 28 bytes][buf: batch x slot bytes]
 *
 * JavaScript can write anything into it at any time, so every value read back from it (reply
 * lengths, address families) is checked here before use, and every argument of every call is
 * checked for type and range. Nothing JavaScript does can make this file read or write outside
 * the memory it allocated.
 *
 * Plain C, raw Node-API (ABI-stable) and libuv from Node's headers; no other dependency.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define ADDR_SLOT 28     /* sizeof(struct sockaddr_in6): room for either family */
#define HOST_MAX 128     /* bytes of a host argument, its NUL included */
#define MAX_BATCH 1024   /* UIO_MAXIOV: the most messages one recvmmsg/sendmmsg takes */
#define MAX_SLOT 65535   /* lens are u16 */
#define MAX_DATAGRAM 65535
#define MAX_RECV_CALLS 8 /* recvmmsg calls per wakeup, so a flood of dropped datagrams can't starve the loop */
/* Full batches handed to JavaScript per wakeup. One batch per event-loop turn caps what a backlog
 * drains at batchSize per turn: when a turn is long (a wave of upstream replies, a GC), intake can
 * settle at exactly the arrival rate and a standing queue never drains. Up to 4 (256 datagrams at
 * the default size; Unbound reads up to 100 per select) and other handles still get every turn. */
#define MAX_BATCHES_PER_WAKEUP 4

/* Counters, as doubles so JavaScript reads them straight from the shared memory. */
enum {
  ST_RECEIVED,     /* datagrams handed to JavaScript */
  ST_SENT,         /* replies the kernel accepted (batch replies and sendTo) */
  ST_SEND_DROPPED, /* replies dropped: send buffer full (EAGAIN) or another send error */
  ST_BATCHES,      /* JavaScript calls */
  ST_TRUNCATED,    /* datagrams longer than a slot: dropped unseen, or delivered cut (keep_truncated) */
  ST_REJECTED,     /* reply lengths greater than the slot size, not sent */
  ST_RECV_ERRORS,  /* recvmmsg errors other than EAGAIN/EINTR */
  ST_COUNT = 8
};

typedef struct sock {
  napi_env env;
  int fd;
  int family;        /* AF_INET or AF_INET6 */
  socklen_t addrlen; /* sizeof the family's sockaddr */
  uint32_t batch, slot;
  /* A datagram longer than a slot is delivered cut to the slot, its length given as slot + 1 (the
   * caller can still read its header: an upstream socket turns it into a truncated reply), instead
   * of being dropped. Only when slot < MAX_SLOT, so slot + 1 fits a u16. */
  bool keep_truncated;

  uv_poll_t poll;
  bool closing;   /* close requested: no more reads or sends */
  bool uv_closed; /* no uv handle, or its close callback ran */
  bool js_gone;   /* the JavaScript handle object was finalized */

  napi_ref self_ref; /* the handle object: kept alive while the socket is open */
  napi_ref cb_ref;   /* the batch callback */
  napi_ref mem_ref;  /* the shared ArrayBuffer */
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup;

  /* Views into the shared ArrayBuffer. */
  double *stats;
  uint16_t *lens;
  uint8_t *addrs;
  uint8_t *buf;

  /* Private to C: message headers for recvmmsg and sendmmsg. */
  struct mmsghdr *rmsg, *smsg;
  struct iovec *riov, *siov;

  /* Replies queued by queueTo (copies: JavaScript's buffers are free at once), sent together by
   * flush with one sendmmsg. `batch` of them at most, each up to `slot` bytes; allocated at the
   * first queueTo. */
  uint8_t *qbuf, *qaddr;
  uint16_t *qlen;
  uint32_t qn;
} sock_t;

/* Tags the handle objects we create, so a foreign object can never be unwrapped as ours. */
static const napi_type_tag SOCK_TAG = {0x646e736d657368ULL, 0x7564706261746368ULL};

/* ---------------------------------------------------------------- errors and arguments */

#define NAPI_OK(call)                                                                    \
  do {                                                                                   \
    if ((call) != napi_ok) goto fail;                                                    \
  } while (0)

static void throw_range(napi_env env, const char *what, double min, double max) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s must be an integer from %.0f to %.0f", what, min, max);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
}

/* Throws an Error like Node's own (`bind EADDRINUSE 127.0.0.1:53`, with code, errno, syscall). */
static void throw_sys(napi_env env, const char *syscall, int err, const char *detail) {
  const char *name = uv_err_name(-err);
  char text[256];
  snprintf(text, sizeof text, "%s %s%s%s", syscall, name, detail ? " " : "", detail ? detail : "");
  napi_value code, msg, error, num, sc;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_error(env, code, msg, &error) != napi_ok) {
    napi_throw_error(env, NULL, text);
    return;
  }
  if (napi_create_int32(env, -err, &num) == napi_ok) napi_set_named_property(env, error, "errno", num);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc) == napi_ok)
    napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
}

/* Reads an integer in [min, max]; otherwise throws (TypeError or RangeError) and returns false. */
static bool get_uint(napi_env env, napi_value v, uint32_t min, uint32_t max, const char *what,
                     uint32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a number", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  /* NaN fails both comparisons; the cast round-trip rejects fractions. */
  if (!(d >= (double)min && d <= (double)max) || (double)(uint32_t)d != d) {
    throw_range(env, what, min, max);
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

static bool get_bool(napi_env env, napi_value v, const char *what, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a boolean", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  return napi_get_value_bool(env, v, out) == napi_ok;
}

/* A Uint8Array (or Buffer) argument: its bytes and length. */
static bool get_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is;
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t n = 0;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &type, &n, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array or Buffer", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  static uint8_t empty[1];
  *data = ptr != NULL ? ptr : empty; /* a detached or empty view has no data pointer */
  *len = ptr != NULL ? n : 0;
  return true;
}

/* The sock_t behind a handle object; throws TypeError for anything that is not one of ours. */
static sock_t *get_sock(napi_env env, napi_value v) {
  napi_valuetype t;
  bool tagged = false;
  void *s = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object ||
      napi_check_object_type_tag(env, v, &SOCK_TAG, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, v, &s) != napi_ok || s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a udp-batch socket handle");
    return NULL;
  }
  return s;
}

/* ---------------------------------------------------------------- lifetime */

static void free_sock(sock_t *s) {
  free(s->qbuf);
  free(s->qaddr);
  free(s->qlen);
  free(s->rmsg);
  free(s->smsg);
  free(s->riov);
  free(s->siov);
  free(s);
}

/* The handle object was garbage collected (only possible once closed) or the env is going away. */
static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock_t *s = data;
  s->js_gone = true;
  if (s->uv_closed) free_sock(s);
}

/* libuv is done with the poll handle: drop our references so the JavaScript side can be
 * collected, and let an exiting environment (process or worker) finish. */
static void on_uv_closed(uv_handle_t *handle) {
  sock_t *s = handle->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  napi_async_destroy(env, s->async_ctx);
  napi_delete_reference(env, s->cb_ref);
  napi_delete_reference(env, s->mem_ref);
  napi_delete_reference(env, s->self_ref);
  s->stats = NULL; /* the shared memory may be freed from now on */
  s->lens = NULL;
  s->addrs = NULL;
  s->buf = NULL;
  if (scoped) napi_close_handle_scope(env, scope);
  s->uv_closed = true;
  /* Last: removing the hook may let the environment be torn down. */
  napi_remove_async_cleanup_hook(s->cleanup);
  if (s->js_gone) free_sock(s);
}

/* Stops reading and closes the fd now (so the port is free when close() returns); the uv handle
 * finishes closing on the next loop turn. Safe to call twice and from inside the batch callback. */
static void flush_queue(sock_t *s);

static void do_close(sock_t *s) {
  if (s->closing) return;
  flush_queue(s); /* what was queued goes out before the fd closes */
  s->closing = true;
  uv_poll_stop(&s->poll); /* removes the fd from epoll, so closing it next is safe */
  close(s->fd);
  s->fd = -1;
  uv_close((uv_handle_t *)&s->poll, on_uv_closed);
}

/* The environment (the process, or a worker thread) is shutting down with the socket open. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  do_close(arg);
}

/* ---------------------------------------------------------------- receive, call JS, send */

/* Sends smsg[0..k) with as few sendmmsg calls as the kernel allows. */
static void send_all(sock_t *s, unsigned k) {
  unsigned off = 0;
  while (off < k) {
    int r = sendmmsg(s->fd, s->smsg + off, k - off, MSG_DONTWAIT);
    if (r > 0) {
      off += (unsigned)r; /* partial send: go on with the rest */
      s->stats[ST_SENT] += r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      s->stats[ST_SEND_DROPPED] += k - off; /* full send buffer: drop the rest, never block */
      return;
    } else {
      s->stats[ST_SEND_DROPPED] += 1; /* this message failed (e.g. a bad address): skip it */
      off++;
    }
  }
}

/* Reads up to `batch` datagrams into slots 0..n. Truncated ones (longer than a slot) are dropped
 * and the slots compacted, so JavaScript sees n consecutive valid slots, or with keep_truncated
 * kept, cut to the slot, with the length slot + 1. Returns n. */
static unsigned receive(sock_t *s) {
  unsigned n = 0;
  for (int calls = 0; n < s->batch && calls < MAX_RECV_CALLS; calls++) {
    unsigned want = s->batch - n;
    for (unsigned i = n; i < s->batch; i++) {
      s->rmsg[i].msg_hdr.msg_namelen = ADDR_SLOT; /* the kernel overwrites these */
      s->rmsg[i].msg_hdr.msg_flags = 0;
    }
    int r = recvmmsg(s->fd, s->rmsg + n, want, MSG_DONTWAIT, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) s->stats[ST_RECV_ERRORS] += 1;
      break;
    }
    unsigned end = n + (unsigned)r, w = n;
    for (unsigned i = n; i < end; i++) {
      struct msghdr *h = &s->rmsg[i].msg_hdr;
      unsigned len = s->rmsg[i].msg_len;
      if ((h->msg_flags & MSG_TRUNC) || len > s->slot) {
        s->stats[ST_TRUNCATED] += 1;
        if (!s->keep_truncated) continue;
        len = s->slot + 1; /* the kernel filled the slot with the datagram's first bytes */
      }
      if (w != i) { /* close the gap a dropped datagram left (rare) */
        memcpy(s->buf + (size_t)w * s->slot, s->buf + (size_t)i * s->slot, len > s->slot ? s->slot : len);
        memcpy(s->addrs + (size_t)w * ADDR_SLOT, s->addrs + (size_t)i * ADDR_SLOT, ADDR_SLOT);
      }
      s->lens[w++] = (uint16_t)len;
    }
    n = w;
    if ((unsigned)r < want) break; /* fewer than asked: the queue is empty */
  }
  return n;
}

/* Message k of the next sendmmsg: `len` bytes at `bytes` to the address slot at `addr`. The kernel
 * reads the address with our fixed length and rejects a bad family per message. */
static void set_send(sock_t *s, unsigned k, uint8_t *bytes, size_t len, uint8_t *addr) {
  s->siov[k].iov_base = bytes;
  s->siov[k].iov_len = len;
  struct msghdr *h = &s->smsg[k].msg_hdr;
  memset(h, 0, sizeof *h);
  h->msg_name = addr;
  h->msg_namelen = s->addrlen;
  h->msg_iov = &s->siov[k];
  h->msg_iovlen = 1;
}

/* Queues the reply of every slot whose length JavaScript set to 1..slot, and sends them. */
static void send_replies(sock_t *s, unsigned n) {
  unsigned k = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned len = s->lens[i]; /* u16 written by JavaScript: 0..65535 */
    if (len == 0) continue;
    if (len > s->slot) {
      s->stats[ST_REJECTED] += 1;
      continue;
    }
    set_send(s, k++, s->buf + (size_t)i * s->slot, len, s->addrs + (size_t)i * ADDR_SLOT);
  }
  if (k > 0) send_all(s, k);
}

/* Sends the replies queueTo queued, with one sendmmsg (more if the kernel takes them in parts). */
static void flush_queue(sock_t *s) {
  uint32_t k = s->qn;
  if (k == 0 || s->closing) return;
  s->qn = 0;
  for (uint32_t i = 0; i < k; i++) set_send(s, i, s->qbuf + (size_t)i * s->slot, s->qlen[i], s->qaddr + (size_t)i * ADDR_SLOT);
  send_all(s, k);
}

/* True while the shared ArrayBuffer is still ours. JavaScript can detach it (structuredClone with
 * `transfer`), after which its memory may be freed: then the socket is closed and false returned,
 * and no pointer into it is used again. Checked before every use that follows JavaScript code. */
static bool memory_ok(sock_t *s) {
  napi_value mem;
  bool detached = true;
  if (napi_get_reference_value(s->env, s->mem_ref, &mem) == napi_ok &&
      napi_is_detached_arraybuffer(s->env, mem, &detached) == napi_ok && !detached)
    return true;
  do_close(s);
  return false;
}

static const char DETACHED[] = "udp-batch: the shared buffer was detached; socket closed";

/* Reports `err` (or a new Error with `text`) as an uncaught exception: there is no JavaScript
 * caller to throw to from an event loop callback. */
static void raise_uncaught(napi_env env, napi_value err, const char *text) {
  napi_value msg;
  if (err == NULL && (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
                      napi_create_error(env, NULL, msg, &err) != napi_ok))
    return;
  napi_fatal_exception(env, err);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  sock_t *s = handle->data;
  if (s->closing) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;

  if (!memory_ok(s)) {
    raise_uncaught(env, NULL, DETACHED);
  } else if (status < 0) {
    /* libuv stops a poll handle that reports POLLERR: clear the socket error and poll again. */
    int soerr = 0;
    socklen_t elen = sizeof soerr;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &elen);
    s->stats[ST_RECV_ERRORS] += 1;
    if (uv_poll_start(&s->poll, UV_READABLE, on_readable) != 0) do_close(s);
  } else {
    for (int round = 0; round < MAX_BATCHES_PER_WAKEUP; round++) {
      unsigned n = receive(s);
      napi_value cb, self, argv[1], result, err;
      if (n == 0 || napi_get_reference_value(env, s->cb_ref, &cb) != napi_ok ||
          napi_get_reference_value(env, s->self_ref, &self) != napi_ok ||
          napi_create_uint32(env, n, &argv[0]) != napi_ok)
        break;
      s->stats[ST_RECEIVED] += n;
      s->stats[ST_BATCHES] += 1;
      /* make_callback, not call_function: the callback runs like any I/O callback (async hooks,
       * then process.nextTick and microtasks drained when it returns). */
      napi_status st = napi_make_callback(env, s->async_ctx, self, cb, 1, argv, &result);
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (st != napi_ok || pending) {
        /* The callback threw: its lens may be half written (an untouched slot still holds the
         * query's length), so nothing of this batch is sent. */
        if (napi_get_and_clear_last_exception(env, &err) == napi_ok) raise_uncaught(env, err, NULL);
        break;
      }
      if (s->closing) break; /* the callback closed the socket: nothing more to send */
      if (!memory_ok(s)) {
        raise_uncaught(env, NULL, DETACHED);
        break;
      }
      send_replies(s, n);
      /* Fewer than a batch: the queue is drained; wait for the next wakeup. A one-slot socket (an
       * upstream query's: one reply expected) reads once a wakeup, sparing the recvmmsg that would
       * find the queue empty; a datagram more is rare, and the poll is level-triggered, so the next
       * loop turn reports it. */
      if (n < s->batch || s->batch == 1) break;
    }
  }
  napi_close_handle_scope(env, scope);
}

/* ---------------------------------------------------------------- JavaScript entry points */

/* Parses an IPv4 or IPv6 literal (IPv6 may carry a %zone) into `ss`; returns the family or -1. */
static int parse_host(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *len = sizeof *a4;
    return AF_INET;
  }
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s", host);
  char *zone = strchr(tmp, '%');
  if (zone != NULL) *zone++ = '\0';
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET6, tmp, &a6->sin6_addr) != 1) return -1;
  if (zone != NULL) {
    char *end;
    unsigned long idx = strtoul(zone, &end, 10);
    if (*zone == '\0' || *end != '\0') idx = if_nametoindex(zone);
    if (idx == 0 || idx > UINT32_MAX) return -1;
    a6->sin6_scope_id = (uint32_t)idx;
  }
  a6->sin6_family = AF_INET6;
  a6->sin6_port = htons(port);
  *len = sizeof *a6;
  return AF_INET6;
}

/* Reads a host string argument into `host` (HOST_MAX bytes); throws and returns false otherwise. */
static bool get_host(napi_env env, napi_value v, char *host) {
  size_t host_len = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "host must be a string");
    return false;
  }
  if (napi_get_value_string_utf8(env, v, host, HOST_MAX, &host_len) != napi_ok) return false;
  if (host_len >= HOST_MAX - 1) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "host is too long");
    return false;
  }
  if (strlen(host) != host_len) { /* an embedded NUL would cut the address short */
    napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", "host must be an IPv4 or IPv6 literal");
    return false;
  }
  return true;
}

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* Sets a number property; returns false on failure. */
static bool set_num(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  return napi_create_double(env, value, &v) == napi_ok &&
         napi_set_named_property(env, obj, name, v) == napi_ok;
}

/*
 * open(host, port, reusePort, recvBufferSize, sendBufferSize, batchSize, slotSize, onBatch)
 *   -> handle { memory, statsOffset, lensOffset, addrsOffset, bufOffset, port, family }
 * Buffer sizes of 0 leave the kernel's defaults. onBatch(count) is called once per batch.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 9) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_COUNT", "open() takes 9 arguments");
    return NULL;
  }

  char host[HOST_MAX];
  napi_valuetype t;
  if (!get_host(env, argv[0], host)) return NULL;
  uint32_t port, rcvbuf, sndbuf, batch, slot;
  bool reuse, keep_truncated;
  if (!get_uint(env, argv[1], 0, 65535, "port", &port) ||
      !get_bool(env, argv[2], "reusePort", &reuse) ||
      !get_uint(env, argv[3], 0, INT32_MAX, "recvBufferSize", &rcvbuf) ||
      !get_uint(env, argv[4], 0, INT32_MAX, "sendBufferSize", &sndbuf) ||
      !get_uint(env, argv[5], 1, MAX_BATCH, "batchSize", &batch) ||
      !get_uint(env, argv[6], 1, MAX_SLOT, "slotSize", &slot) ||
      !get_bool(env, argv[7], "keepTruncated", &keep_truncated))
    return NULL;
  if (keep_truncated && slot >= MAX_SLOT) { /* slot + 1 must fit a u16 length */
    throw_range(env, "slotSize with keepTruncated", 1, MAX_SLOT - 1);
    return NULL;
  }
  if (napi_typeof(env, argv[8], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "onBatch must be a function");
    return NULL;
  }

  struct sockaddr_storage ss;
  socklen_t sslen;
  int family = parse_host(host, (uint16_t)port, &ss, &sslen);
  if (family < 0) {
    napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", "host must be an IPv4 or IPv6 literal");
    return NULL;
  }

  /* The socket: non-blocking from birth, closed on exec. */
  char where[160];
  snprintf(where, sizeof where, family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_sys(env, "socket", errno, where);
    return NULL;
  }
  int one = 1;
  int v6only_failed = family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0;
  int ibuf;
  if (v6only_failed ||
      (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
      (rcvbuf > 0 && (ibuf = (int)rcvbuf, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ibuf, sizeof ibuf)) != 0) ||
      (sndbuf > 0 && (ibuf = (int)sndbuf, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &ibuf, sizeof ibuf)) != 0)) {
    int err = errno;
    close(fd);
    throw_sys(env, "setsockopt", err, where);
    return NULL;
  }
  if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
    int err = errno;
    close(fd);
    throw_sys(env, "bind", err, where);
    return NULL;
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
    int err = errno;
    close(fd);
    throw_sys(env, "getsockname", err, where);
    return NULL;
  }
  uint16_t bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                : ((struct sockaddr_in6 *)&bound)->sin6_port);

  /* Native state. Until the poll handle exists, `uv_closed` is true: nothing to wait for. */
  sock_t *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "udp-batch: out of memory");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->family = family;
  s->addrlen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  s->batch = batch;
  s->slot = slot;
  s->keep_truncated = keep_truncated;
  s->uv_closed = true;
  s->rmsg = calloc(batch, sizeof *s->rmsg);
  s->smsg = calloc(batch, sizeof *s->smsg);
  s->riov = calloc(batch, sizeof *s->riov);
  s->siov = calloc(batch, sizeof *s->siov);
  if (!s->rmsg || !s->smsg || !s->riov || !s->siov) {
    close(fd);
    free_sock(s);
    napi_throw_error(env, "ENOMEM", "udp-batch: out of memory");
    return NULL;
  }

  /* The shared memory (zero-filled by V8). */
  size_t stats_off = 0;
  size_t lens_off = stats_off + ST_COUNT * sizeof(double);
  size_t addrs_off = align_up(lens_off + (size_t)batch * sizeof(uint16_t), 8);
  size_t buf_off = align_up(addrs_off + (size_t)batch * ADDR_SLOT, 64);
  size_t total = buf_off + (size_t)batch * slot;

  napi_value handle = NULL, mem, cb = argv[8];
  void *base = NULL;
  bool wrapped = false;
  NAPI_OK(napi_create_arraybuffer(env, total, &base, &mem));
  uint8_t *m = base;
  s->stats = (double *)(m + stats_off);
  s->lens = (uint16_t *)(m + lens_off);
  s->addrs = m + addrs_off;
  s->buf = m + buf_off;
  for (uint32_t i = 0; i < batch; i++) {
    s->riov[i].iov_base = s->buf + (size_t)i * slot;
    s->riov[i].iov_len = slot;
    s->rmsg[i].msg_hdr.msg_name = s->addrs + (size_t)i * ADDR_SLOT;
    s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsg[i].msg_hdr.msg_iovlen = 1;
  }

  /* The handle object JavaScript holds; frees `s` (via on_finalize) once collected. */
  NAPI_OK(napi_create_object(env, &handle));
  NAPI_OK(napi_type_tag_object(env, handle, &SOCK_TAG));
  NAPI_OK(napi_wrap(env, handle, s, on_finalize, NULL, NULL));
  wrapped = true;
  NAPI_OK(napi_set_named_property(env, handle, "memory", mem));
  if (!set_num(env, handle, "statsOffset", (double)stats_off) ||
      !set_num(env, handle, "lensOffset", (double)lens_off) ||
      !set_num(env, handle, "addrsOffset", (double)addrs_off) ||
      !set_num(env, handle, "bufOffset", (double)buf_off) ||
      !set_num(env, handle, "port", bound_port) ||
      !set_num(env, handle, "family", family == AF_INET ? 4 : 6))
    goto fail;

  napi_value resource_name;
  NAPI_OK(napi_create_string_utf8(env, "UdpBatchSocket", NAPI_AUTO_LENGTH, &resource_name));
  NAPI_OK(napi_async_init(env, handle, resource_name, &s->async_ctx));
  NAPI_OK(napi_create_reference(env, cb, 1, &s->cb_ref));
  NAPI_OK(napi_create_reference(env, mem, 1, &s->mem_ref));
  NAPI_OK(napi_create_reference(env, handle, 1, &s->self_ref));

  /* Into the event loop. The env cleanup hook closes the socket if the process or worker exits
   * with it open; it is removed in on_uv_closed, once libuv has let go of the handle. */
  uv_loop_t *loop;
  NAPI_OK(napi_get_uv_event_loop(env, &loop));
  NAPI_OK(napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup));
  if (uv_poll_init(loop, &s->poll, fd) != 0) goto fail;
  s->poll.data = s;
  s->uv_closed = false;
  int rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    do_close(s); /* the normal close path releases everything */
    throw_sys(env, "uv_poll_start", -rc, where);
    return NULL;
  }
  return handle;

fail:
  /* Only reached before the poll handle existed: close the fd; the wrap (if made) frees `s`. */
  if (s->cleanup) napi_remove_async_cleanup_hook(s->cleanup);
  close(fd);
  s->fd = -1;
  s->closing = true;
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  if (s->cb_ref) napi_delete_reference(env, s->cb_ref);
  if (s->mem_ref) napi_delete_reference(env, s->mem_ref);
  if (s->self_ref) napi_delete_reference(env, s->self_ref);
  s->stats = NULL;
  if (!wrapped) free_sock(s);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, "udp-batch: could not create the socket");
  return NULL;
}

/* The arguments of sendTo and queueTo: (handle, bytes, addr), checked; NULL (with an exception
 * pending) when one is wrong. `ss` gets the address, aligned, of the socket's family. */
static sock_t *send_args(napi_env env, napi_callback_info info, const char *what, uint8_t **bytes, size_t *len,
                         struct sockaddr_storage *ss) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 3) {
    char msg[64];
    snprintf(msg, sizeof msg, "%s() takes 3 arguments", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_COUNT", msg);
    return NULL;
  }
  sock_t *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  uint8_t *addr;
  size_t alen;
  if (!get_bytes(env, argv[1], "bytes", bytes, len) || !get_bytes(env, argv[2], "addr", &addr, &alen))
    return NULL;
  if (*len > MAX_DATAGRAM) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "bytes must be at most 65535 bytes long");
    return NULL;
  }
  if (alen != ADDR_SLOT) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "addr must be a 28-byte address slot");
    return NULL;
  }
  /* Copy to an aligned sockaddr and check its family against the socket's. */
  memset(ss, 0, sizeof *ss);
  memcpy(ss, addr, ADDR_SLOT);
  if (ss->ss_family != s->family) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "addr is not an address slot of this socket's family");
    return NULL;
  }
  if (!s->closing && !memory_ok(s)) {
    napi_throw_error(env, "ERR_INVALID_STATE", DETACHED);
    return NULL;
  }
  return s;
}

/* One datagram now; false when the kernel refused it or the socket is closed. */
static bool send_now(sock_t *s, const uint8_t *bytes, size_t len, const struct sockaddr_storage *ss) {
  if (s->closing) return false;
  ssize_t r;
  do r = sendto(s->fd, bytes, len, MSG_DONTWAIT, (const struct sockaddr *)ss, s->addrlen);
  while (r < 0 && errno == EINTR);
  bool ok = r >= 0;
  s->stats[ok ? ST_SENT : ST_SEND_DROPPED] += 1;
  return ok;
}

/* sendTo(handle, bytes, addr) -> boolean: one datagram now, to a 28-byte address slot.
 * queueTo(handle, bytes, addr) -> boolean: a copy of the datagram waits for flush (sent at once
 * when it is longer than a slot; the queue is flushed first when it is full). False once closed. */
static napi_value send_or_queue(napi_env env, napi_callback_info info, bool queue) {
  uint8_t *bytes;
  size_t len;
  struct sockaddr_storage ss;
  sock_t *s = send_args(env, info, queue ? "queueTo" : "sendTo", &bytes, &len, &ss);
  if (s == NULL) return NULL;
  bool ok = false;
  if (queue && !s->closing && len <= s->slot && s->qbuf == NULL) {
    s->qbuf = malloc((size_t)s->batch * s->slot);
    s->qaddr = malloc((size_t)s->batch * ADDR_SLOT);
    s->qlen = malloc((size_t)s->batch * sizeof *s->qlen);
    if (!s->qbuf || !s->qaddr || !s->qlen) {
      free(s->qbuf); free(s->qaddr); free(s->qlen);
      s->qbuf = NULL; s->qaddr = NULL; s->qlen = NULL;
    }
  }
  if (!queue || len > s->slot || s->qbuf == NULL || s->closing) {
    ok = send_now(s, bytes, len, &ss); /* now, on its own (false once closed) */
  } else {
    if (s->qn == s->batch) flush_queue(s);
    uint32_t i = s->qn++;
    memcpy(s->qbuf + (size_t)i * s->slot, bytes, len);
    memcpy(s->qaddr + (size_t)i * ADDR_SLOT, &ss, ADDR_SLOT);
    s->qlen[i] = (uint16_t)len;
    ok = true;
  }
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value js_send_to(napi_env env, napi_callback_info info) { return send_or_queue(env, info, false); }
static napi_value js_queue_to(napi_env env, napi_callback_info info) { return send_or_queue(env, info, true); }

/* The socket of a call that takes just the handle; NULL (with an exception pending) otherwise. */
static sock_t *only_handle(napi_env env, napi_callback_info info, const char *what) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 1) {
    char msg[64];
    snprintf(msg, sizeof msg, "%s() takes 1 argument", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_COUNT", msg);
    return NULL;
  }
  return get_sock(env, argv[0]);
}

/* flush(handle): sends what queueTo queued, with one sendmmsg. */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  sock_t *s = only_handle(env, info, "flush");
  if (s != NULL) flush_queue(s);
  return NULL;
}

/* close(handle): stops delivery and closes the fd now. Idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  sock_t *s = only_handle(env, info, "close");
  if (s != NULL) do_close(s);
  return NULL;
}

/* setRef(handle, boolean): whether the open socket keeps the event loop alive (like dgram's ref). */
static napi_value js_set_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_COUNT", "setRef() takes 2 arguments");
    return NULL;
  }
  sock_t *s = get_sock(env, argv[0]);
  bool on;
  if (s == NULL || !get_bool(env, argv[1], "ref", &on)) return NULL;
  if (!s->closing) {
    if (on) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

/* encodeAddress(host, port): the 28-byte address slot for an IP literal (an IPv6 zone by index or
 * interface name, as open() reads its host), or null when it is not one. */
static napi_value js_encode_address(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_COUNT", "encodeAddress() takes 2 arguments");
    return NULL;
  }
  char host[HOST_MAX];
  uint32_t port;
  if (!get_host(env, argv[0], host) || !get_uint(env, argv[1], 0, 65535, "port", &port)) return NULL;
  struct sockaddr_storage ss;
  socklen_t sslen;
  napi_value result;
  if (parse_host(host, (uint16_t)port, &ss, &sslen) < 0) {
    if (napi_get_null(env, &result) != napi_ok) return NULL;
    return result;
  }
  void *data = NULL;
  napi_value ab;
  if (napi_create_arraybuffer(env, ADDR_SLOT, &data, &ab) != napi_ok) return NULL;
  memset(data, 0, ADDR_SLOT);
  memcpy(data, &ss, sslen <= ADDR_SLOT ? sslen : ADDR_SLOT);
  if (napi_create_typedarray(env, napi_uint8_array, ADDR_SLOT, ab, 0, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"queueTo", NULL, js_queue_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRef", NULL, js_set_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"encodeAddress", NULL, js_encode_address, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value v;
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (napi_create_uint32(env, ADDR_SLOT, &v) == napi_ok) napi_set_named_property(env, exports, "ADDR_SLOT", v);
  if (napi_create_uint32(env, MAX_BATCH, &v) == napi_ok) napi_set_named_property(env, exports, "MAX_BATCH", v);
  if (napi_create_uint32(env, MAX_SLOT, &v) == napi_ok) napi_set_named_property(env, exports, "MAX_SLOT", v);
  return exports;
}

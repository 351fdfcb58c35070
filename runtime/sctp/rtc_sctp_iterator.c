/* usrsctp's "iterator", run on our loop instead of its own thread.
 *
 * usrsctp_init_nothreads starts no timer or receive thread, but sctp_pcb_init still
 * starts the "SCTP iterator" thread (usrsctp 0.9.5, Debian 12; upstream's fix, PR
 * #472, was never merged). The iterator runs work queued by sctp_initiate_iterator,
 * which usrsctp calls for: (1) its address work queue (sctp_handle_addr_wq, from the
 * ADDR_WQ timer) after an address is added dynamically or deleted, which
 * usrsctp_deregister_address does; (2) a send with SCTP_SENDALL; (3) bindx on a
 * bound-all endpoint; (4) SCTP_SET_DYNAMIC_PRIMARY, through (1). We use none of (2)-(4),
 * and (1) only when an association has its own AF_CONN address (rtc_sctp_port.c: no
 * SSE4.2, or all port pairs taken), at its destroy: the timer then queues the removal
 * of that address, and the iterator frees it (sctp_asconf_iterator_end; none of our
 * endpoints is bound-all, so it visits no association).
 *
 * So: right after init we ask the thread to exit the way usrsctp_finish does
 * (SCTP_ITERATOR_MUST_EXIT under its work-queue lock, then a wake-up), join it, clear
 * the flags, and run the queue ourselves after each timer tick (the only place work is
 * queued for us), under the same lock as usrsctp's thread would. Nothing is lost: the
 * same sctp_iterator_worker runs, on the loop's thread.
 *
 * usrsctp exports the iterator's control block (sctp_it_ctl) and its worker, but the
 * block's type is in a header it does not install: sctp_iterator_ctl_t is its layout
 * in usrsctp's userspace pthread build (netinet/sctp_structs.h, struct
 * iterator_control, unchanged since 2012). Before touching it we check that the
 * symbol's size is that struct's and that a freshly initialised empty queue is what
 * we read; otherwise the thread is left as it was, with a warning (the tests that
 * count the process's threads then fail). usrsctp_finish, which would join the thread
 * again, is never called. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>

#include "base/rtc_log.h"
#include "sctp/rtc_sctp_internal.h"

typedef struct sctp_iterator_ctl {
  pthread_mutex_t wq_mtx; /* ipi_iterator_wq_mtx: guards the queue and the flags */
  pthread_mutex_t it_mtx;
  pthread_cond_t wakeup;
  pthread_t thread;
  struct {
    void *first;
    void **last;
  } queue; /* TAILQ_HEAD(sctpiterators, sctp_iterator) */
  void *cur_it;
  uint32_t running;
  uint32_t flags;
} sctp_iterator_ctl_t;

#define SCTP_ITERATOR_MUST_EXIT 0x1u /* netinet/sctp_structs.h */

/* usrsctp's names (declared here: their header is not installed). */
extern sctp_iterator_ctl_t sctp_it_ctl;
extern void sctp_iterator_worker(void);

static bool sctp_iterator_ours; /* the thread is gone: its queue is ours to run */
static uint32_t sctp_iterator_runs;

static bool sctp_iterator_layout_ok(void) {
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (!dladdr1(&sctp_it_ctl, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym) return false;
  if (sym->st_size != sizeof(sctp_iterator_ctl_t)) return false;
  /* Right after sctp_pcb_init: an empty TAILQ points at itself, nothing running. */
  return sctp_it_ctl.queue.first == NULL && sctp_it_ctl.queue.last == &sctp_it_ctl.queue.first &&
         sctp_it_ctl.cur_it == NULL && sctp_it_ctl.running == 0 && sctp_it_ctl.flags == 0 &&
         sctp_it_ctl.thread != 0;
}

void rtc__sctp_iterator_stop_thread(void) {
  if (sctp_iterator_ours) return;
  if (!sctp_iterator_layout_ok()) {
    RTC_LOG(RTC_LOG_WARN, "sctp", "unknown usrsctp iterator layout: its thread keeps running");
    return;
  }
  pthread_mutex_lock(&sctp_it_ctl.wq_mtx);
  sctp_it_ctl.flags |= SCTP_ITERATOR_MUST_EXIT;
  pthread_cond_broadcast(&sctp_it_ctl.wakeup);
  pthread_mutex_unlock(&sctp_it_ctl.wq_mtx);
  if (pthread_join(sctp_it_ctl.thread, NULL) != 0) {
    RTC_LOG(RTC_LOG_WARN, "sctp", "cannot join usrsctp's iterator thread");
    return;
  }
  /* The thread set EXITED on its way out; with MUST_EXIT left set the worker would
   * drop every job. */
  pthread_mutex_lock(&sctp_it_ctl.wq_mtx);
  sctp_it_ctl.flags = 0;
  pthread_mutex_unlock(&sctp_it_ctl.wq_mtx);
  sctp_iterator_ours = true;
}

void rtc__sctp_iterator_run(void) {
  if (!sctp_iterator_ours) return;
  pthread_mutex_lock(&sctp_it_ctl.wq_mtx);
  if (sctp_it_ctl.queue.first) {
    sctp_iterator_runs++;
    sctp_iterator_worker(); /* called with the lock held; drops it around each job */
  }
  pthread_mutex_unlock(&sctp_it_ctl.wq_mtx);
}

bool rtc__sctp_iterator_is_ours(void) { return sctp_iterator_ours; }
uint32_t rtc__sctp_iterator_runs(void) { return sctp_iterator_runs; }
bool rtc__sctp_iterator_pending(void) {
  if (!sctp_iterator_ours) return false;
  pthread_mutex_lock(&sctp_it_ctl.wq_mtx);
  bool pending = sctp_it_ctl.queue.first != NULL;
  pthread_mutex_unlock(&sctp_it_ctl.wq_mtx);
  return pending;
}

/* Files written at offsets: see rtc_io_file.h. */
#include "io/rtc_io_file.h"

#include <fcntl.h>
#include <stdlib.h>

#include "base/rtc_err.h"

struct rtc_io_file {
  uv_loop_t *loop;
  uv_file fd;
  uv_fs_t req;
  bool busy;
  rtc_io_file_cb cb;
  void *ud;
};

int rtc_io_file_open(uv_loop_t *loop, const char *path, rtc_io_file_t **out) {
  *out = NULL;
  rtc_io_file_t *f = calloc(1, sizeof *f);
  if (!f) return UV_ENOMEM;
  uv_fs_t r;
  int fd = uv_fs_open(NULL, &r, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, NULL);
  uv_fs_req_cleanup(&r);
  if (fd < 0) {
    free(f);
    return fd;
  }
  f->loop = loop;
  f->fd = fd;
  *out = f;
  return 0;
}

static void on_write(uv_fs_t *req) {
  rtc_io_file_t *f = req->data;
  long n = (long)req->result;
  uv_fs_req_cleanup(req);
  f->busy = false;
  f->cb(f, n, f->ud); /* last: the callback may close f */
}

int rtc_io_file_write(rtc_io_file_t *f, const void *p, size_t n, uint64_t off, rtc_io_file_cb cb,
                      void *ud) {
  if (f->busy) return RTC_ESTATE;
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
  f->req.data = f;
  f->cb = cb;
  f->ud = ud;
  int e = uv_fs_write(f->loop, &f->req, f->fd, &b, 1, (int64_t)off, on_write);
  if (e < 0) return e;
  f->busy = true;
  return 0;
}

long rtc_io_file_write_sync(rtc_io_file_t *f, const void *p, size_t n, uint64_t off) {
  uv_fs_t r;
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
  int w = uv_fs_write(NULL, &r, f->fd, &b, 1, (int64_t)off, NULL);
  uv_fs_req_cleanup(&r);
  return w;
}

bool rtc_io_file_busy(const rtc_io_file_t *f) { return f && f->busy; }

void rtc_io_file_close(rtc_io_file_t *f) {
  if (!f) return;
  uv_fs_t r;
  uv_fs_close(NULL, &r, f->fd, NULL);
  uv_fs_req_cleanup(&r);
  free(f);
}

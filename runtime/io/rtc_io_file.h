/* A file written at offsets on the loop (recordings, bindings/rtc_lua_record.c): libuv fs
 * requests, so that a slow disk never blocks the loop, one write in flight at a time;
 * and blocking writes for where waiting is meant (completing a file at its end). */
#ifndef RTC_IO_FILE_H
#define RTC_IO_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct rtc_io_file rtc_io_file_t;

/* result: bytes written (may be short) or a negative libuv error. */
typedef void (*rtc_io_file_cb)(rtc_io_file_t *f, long result, void *ud);

/* Creates or truncates path for writing. 0, or a negative libuv error (uv_strerror). */
int rtc_io_file_open(uv_loop_t *loop, const char *path, rtc_io_file_t **out);
/* Starts writing p[0..n) at off; cb(f, result, ud) on the loop when done. p stays the
 * caller's and must not change until then. RTC_ESTATE while a write is in flight. */
int rtc_io_file_write(rtc_io_file_t *f, const void *p, size_t n, uint64_t off, rtc_io_file_cb cb,
                      void *ud);
/* Writes p[0..n) at off before it returns: bytes written or a negative libuv error. */
long rtc_io_file_write_sync(rtc_io_file_t *f, const void *p, size_t n, uint64_t off);
bool rtc_io_file_busy(const rtc_io_file_t *f);
/* Closes the file and frees f; never with a write in flight (wait for its cb). */
void rtc_io_file_close(rtc_io_file_t *f);

#endif

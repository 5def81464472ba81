// A WASI command built with clang + wasi-libc, as ordinary toolchain output is: it exercises what
// 43_wasi.js provides and prints one line per check, so a test can compare the actor's log.
//
// Expects a writable preopen "/data" (empty or not); a read-only preopen "/ro" and a symlink
// /data/etc_link -> /etc, if the host made them, are probed too. Lines:
//   hello from wasi (stdout), to stderr (stderr), argc=N, argv[i]=..., env:PROBE_ENV=...,
//   clock:ok, monotonic:ok, random:ok, stdin:eof, file:ok, grow:ok, stat:size=N, seek:ok,
//   readdir:a,b,c, rename:ok, unlink:ok, rmdir:ok, escape:<what>:<errno>, symlink:<errno>,
//   ro:<what>:<errno>, done; with argument "partial", a last line without a newline: "tail".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

static void fail(const char* what) {
  printf("FAIL:%s:%d\n", what, errno);
  failures++;
}

static int compare_names(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) {
    fail(path);
    return;
  }
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) fail("write");
  close(fd);
}

// Opens `path` and prints "escape:<label>:<errno>" (0 would mean it was reachable).
static void escape_open(const char* label, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    printf("escape:%s:0\n", label);
    close(fd);
  } else {
    printf("escape:%s:%d\n", label, errno);
  }
}

int main(int argc, char** argv) {
  int partial = 0;
  puts("hello from wasi");
  fflush(stdout);
  fputs("to stderr\n", stderr);
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) {
    printf("argv[%d]=%s\n", i, argv[i]);
    if (strcmp(argv[i], "partial") == 0) partial = 1;
  }
  const char* env = getenv("PROBE_ENV");
  printf("env:PROBE_ENV=%s\n", env ? env : "(unset)");

  struct timespec real, mono1, mono2;
  if (clock_gettime(CLOCK_REALTIME, &real) == 0 && real.tv_sec > 1600000000) puts("clock:ok");
  else fail("clock");
  clock_gettime(CLOCK_MONOTONIC, &mono1);
  for (volatile int spin = 0; spin < 100000; spin++) {
  }
  clock_gettime(CLOCK_MONOTONIC, &mono2);
  if (mono2.tv_sec > mono1.tv_sec || (mono2.tv_sec == mono1.tv_sec && mono2.tv_nsec >= mono1.tv_nsec)) {
    puts("monotonic:ok");
  } else {
    fail("monotonic");
  }

  unsigned char random_bytes[64] = {0};
  int nonzero = 0;
  if (getentropy(random_bytes, sizeof random_bytes) == 0) {
    for (size_t i = 0; i < sizeof random_bytes; i++) nonzero += random_bytes[i] != 0;
  }
  if (nonzero > 32) puts("random:ok");
  else fail("random");

  char in[16];
  if (read(0, in, sizeof in) == 0) puts("stdin:eof");
  else fail("stdin");

  // A file: create, write, read back.
  write_file("/data/probe.txt", "probe contents\n");
  FILE* file = fopen("/data/probe.txt", "r");
  char line[64] = {0};
  if (file && fgets(line, sizeof line, file) && strcmp(line, "probe contents\n") == 0) puts("file:ok");
  else fail("file");
  if (file) fclose(file);

  // Growing memory on the way: the runtime must follow memory.buffer after memory.grow.
  size_t big_size = 4u << 20;  // under the test bundle's limits.wasmMemoryMb (8)
  unsigned char* big = malloc(big_size);
  if (big) {
    for (size_t i = 0; i < big_size; i++) big[i] = (unsigned char)(i * 7);
    int fd = open("/data/big.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    ssize_t written = fd >= 0 ? write(fd, big, big_size) : -1;
    memset(big, 0, big_size);
    ssize_t got = fd >= 0 ? pread(fd, big, big_size, 0) : -1;
    int same = written == (ssize_t)big_size && got == (ssize_t)big_size;
    for (size_t i = 0; same && i < big_size; i++) same = big[i] == (unsigned char)(i * 7);
    if (same) puts("grow:ok");
    else fail("grow");
    if (fd >= 0) close(fd);
    free(big);
    unlink("/data/big.bin");
  } else {
    fail("malloc");
  }

  struct stat st;
  if (stat("/data/probe.txt", &st) == 0) printf("stat:size=%lld\n", (long long)st.st_size);
  else fail("stat");

  int fd = open("/data/probe.txt", O_RDWR);
  if (fd >= 0 && lseek(fd, 6, SEEK_SET) == 6 && write(fd, "PROBE", 5) == 5 && lseek(fd, 0, SEEK_CUR) == 11 &&
      pread(fd, line, 14, 0) == 14 && memcmp(line, "probe PROBEnts", 14) == 0) {
    puts("seek:ok");
  } else {
    fail("seek");
  }
  if (fd >= 0) close(fd);

  // A directory with three files, listed.
  if (mkdir("/data/dir", 0755) != 0 && errno != EEXIST) fail("mkdir");
  write_file("/data/dir/c", "c");
  write_file("/data/dir/a", "a");
  write_file("/data/dir/b", "b");
  DIR* dir = opendir("/data/dir");
  char* names[16];
  int count = 0;
  if (dir) {
    struct dirent* entry;
    while ((entry = readdir(dir)) != NULL && count < 16) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof names[0], compare_names);
    printf("readdir:");
    for (int i = 0; i < count; i++) {
      printf(i ? ",%s" : "%s", names[i]);
      free(names[i]);
    }
    printf("\n");
  } else {
    fail("opendir");
  }

  if (rename("/data/dir/a", "/data/dir/renamed") == 0 && access("/data/dir/renamed", F_OK) == 0) puts("rename:ok");
  else fail("rename");
  if (unlink("/data/dir/renamed") == 0 && unlink("/data/dir/b") == 0 && unlink("/data/dir/c") == 0) puts("unlink:ok");
  else fail("unlink");
  if (rmdir("/data/dir") == 0) puts("rmdir:ok");
  else fail("rmdir");

  // Escapes: each must fail (76 = ENOTCAPABLE).
  mkdir("/data/x", 0755);  // so that the kernel walks into x and back up, past /data
  escape_open("abs", "/etc/passwd");
  escape_open("dotdot", "/data/../etc/passwd");
  escape_open("deep", "/data/x/../../../etc/passwd");
  escape_open("symlink", "/data/etc_link/passwd");
  printf("symlink:%d\n", symlink("/etc", "/data/made_link") == 0 ? 0 : errno);
  rmdir("/data/x");

  // A read-only preopen refuses changes.
  if (access("/ro", F_OK) == 0) {
    int ro = open("/ro/new.txt", O_CREAT | O_WRONLY, 0644);
    printf("ro:create:%d\n", ro >= 0 ? 0 : errno);
    if (ro >= 0) close(ro);
    printf("ro:mkdir:%d\n", mkdir("/ro/newdir", 0755) == 0 ? 0 : errno);
  }

  unlink("/data/probe.txt");
  printf("done failures=%d\n", failures);
  if (partial) fputs("tail", stdout);
  return 0;
}

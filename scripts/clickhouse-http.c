/*
 * clickhouse-http: serves ClickHouse's HTTP interface from chDB's libchdb.so (ClickHouse 26.7,
 * npm `@chdb/lib-linux-x64-gnu`) for tests, since Debian's clickhouse-server is 18.16.
 *
 * It runs libchdb's clickhouse-local entry point (`query_stable_v2`) with the arguments it is given
 * (e.g. `--listen_host=127.0.0.1 --http_port=8123 --path=/tmp/x`) and one query: start the HTTP
 * listener, then sleep in a query that never ends, so the process serves until it is signalled.
 * It dies with its parent (PR_SET_PDEATHSIG), so a killed test run leaves no server behind.
 *
 * Built on first use by test/harness/clickhouse-server.ts:
 *   cc -O1 -o clickhouse-http clickhouse-http.c -L<libdir> -lchdb -Wl,-rpath,<libdir>
 * See scripts/README.md.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

/* libchdb's result (chdb.h, `struct local_result_v2`). */
struct local_result_v2 {
  char *buf;
  size_t len;
  void *vec;
  double elapsed;
  unsigned long long rows_read;
  unsigned long long bytes_read;
  char *error_message;
};

extern struct local_result_v2 *query_stable_v2(int argc, char **argv);

static char SERVE[] =
    "SYSTEM START LISTEN HTTP; "
    "SELECT sleepEachRow(1) FROM system.numbers SETTINGS max_block_size = 1 FORMAT Null";

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  char **args = calloc((size_t)argc + 4, sizeof(char *));
  if (args == NULL) return 1;
  int n = 0;
  args[n++] = "clickhouse";
  args[n++] = "--multiquery";
  for (int i = 1; i < argc; i++) args[n++] = argv[i];
  args[n++] = "--query";
  args[n++] = SERVE;
  args[n] = NULL;
  struct local_result_v2 *result = query_stable_v2(n, args);
  if (result != NULL && result->error_message != NULL) {
    fprintf(stderr, "clickhouse-http: %s\n", result->error_message);
    return 1;
  }
  fprintf(stderr, "clickhouse-http: the serving query ended\n");
  return 1;
}

/* fuzz_gguf.c — fuzz harness for the GGUF reader.
 *
 * With libFuzzer (clang, -DHONE_FUZZ=ON): LLVMFuzzerTestOneInput opens the
 * input with hone_gguf_open_memory and walks every key, array element and tensor
 * it reports. Built with -DHONE_FUZZ_REPLAY it is a plain program that runs
 * the same function on the files (or directories of files) given on the
 * command line, so CTest replays the committed corpus under any compiler.
 *
 * The harness aborts when the reader breaks its own contract: a failure
 * without a one-line message, or a "valid" file whose tensors or strings lie
 * outside the input. Sanitizers catch everything else.
 */
#include "gguf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_gguf: contract broken: %s\n", what);
        abort();
    }
}

static bool inside(const uint8_t *data, size_t size, const void *p, uint64_t n)
{
    const uint8_t *q = p;
    return q >= data && q <= data + size && n <= (uint64_t)(data + size - q);
}

static void walk_kv(const uint8_t *data, size_t size, const hone_gguf_file *f, const hone_gguf_kv *kv)
{
    char buf[96];
    hone_gguf_kv_format(kv, buf, sizeof buf);
    check(strlen(buf) < sizeof buf, "kv_format overflow");
    check(hone_gguf_find(f, kv->key) == kv, "key lookup");
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    float f32;
    bool b;
    hone_gguf_str s;
    const hone_gguf_kv *arr;
    /* every getter must answer (value or clean error) whatever the type */
    hone_gguf_get_u32(f, kv->key, &u32, NULL);
    hone_gguf_get_i32(f, kv->key, &i32, NULL);
    hone_gguf_get_u64(f, kv->key, &u64, NULL);
    hone_gguf_get_f32(f, kv->key, &f32, NULL);
    hone_gguf_get_bool(f, kv->key, &b, NULL);
    if (hone_gguf_get_str(f, kv->key, &s, NULL) == HONE_OK)
        check(inside(data, size, s.ptr, s.len), "string value outside the input");
    if (hone_gguf_get_arr(f, kv->key, HONE_GGUF_TYPE_COUNT, &arr, NULL) != HONE_OK) return;
    for (uint64_t j = 0; j < kv->arr_n; j++) {
        if (kv->arr_type == HONE_GGUF_TYPE_STRING) {
            s = hone_gguf_arr_str(kv, j);
            check(inside(data, size, s.ptr, s.len), "string element outside the input");
            char *c = hone_gguf_str_dup(s);
            check(c != NULL, "str_dup");
            free(c);
        } else {
            volatile float x = hone_gguf_arr_f32(kv, j);
            volatile int32_t y = hone_gguf_arr_i32(kv, j);
            volatile uint32_t z = hone_gguf_arr_u32(kv, j);
            (void)x, (void)y, (void)z;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hone_gguf_file *f = NULL;
    hone_error e = {.msg = ""};
    hone_status st = hone_gguf_open_memory(data, size, &f, &e);
    if (st != HONE_OK) {
        check(f == NULL, "output set on failure");
        check(e.status == st, "status recorded");
        check(e.msg[0] != '\0' && !strchr(e.msg, '\n'), "error message missing or multi-line");
        return 0;
    }
    for (uint64_t i = 0; i < hone_gguf_n_kv(f); i++) walk_kv(data, size, f, hone_gguf_kv_at(f, i));
    check(hone_gguf_kv_at(f, hone_gguf_n_kv(f)) == NULL, "kv index bound");
    uint32_t al = hone_gguf_alignment(f);
    check(al && !(al & (al - 1)), "alignment");
    for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        check(hone_gguf_find_tensor(f, t->name) == t, "tensor lookup");
        check(t->n_dims <= HONE_GGUF_MAX_DIMS, "n_dims");
        check(t->offset % al == 0, "tensor alignment");
        check(inside(data, size, t->data, t->size), "tensor data outside the input");
        uint64_t row;
        check(hone_row_bytes(t->type, t->ne[0], &row), "row size");
        if (t->size) {
            volatile uint8_t a = ((const uint8_t *)t->data)[0];
            volatile uint8_t z = ((const uint8_t *)t->data)[t->size - 1];
            (void)a, (void)z;
        }
    }
    check(hone_gguf_tensor_at(f, hone_gguf_n_tensors(f)) == NULL, "tensor index bound");
    hone_gguf_close(f);
    return 0;
}

#ifdef HONE_FUZZ_REPLAY
#include <dirent.h>
#include <sys/stat.h>

/* Runs one file, in an exactly-sized buffer so over-reads are visible. */
static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "fuzz_gguf: cannot open %s\n", path);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) abort();
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        if (!got) break;
        n += got;
    }
    fclose(fp);
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) abort();
    if (n) memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *de;
            while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.') continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
                bad += replay_file(path);
                files++;
            }
            if (d) closedir(d);
        } else {
            bad += replay_file(argv[i]);
            files++;
        }
    }
    printf("fuzz_gguf: replayed %d files\n", files - bad);
    return bad || files == 0;
}
#endif

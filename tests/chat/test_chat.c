/* test_chat.c — chat template detection and formatting against llama.cpp:
 * hand-checked expectations, llama.cpp's own test cases, every template by
 * name on three conversations, and real templates from models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_template.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The conversations of llamacpp_by_name.json (index "conv"). */
static const hone_chat_msg conv0[] = {
    { "system", "You are a helpful assistant" }, { "user", "Hello" },
    { "assistant", "Hi there" }, { "user", "Who are you" },
    { "assistant", "   I am an assistant   " }, { "user", "Another question" },
};
static const hone_chat_msg conv1[] = {
    { "user", "  Hi  " }, { "assistant", "Hello!\n" }, { "user", "Tell me a joke" },
};
static const hone_chat_msg conv2[] = {
    { "system", " Be brief. " }, { "user", "What is 6*7?" },
    { "assistant", "Calling a tool." }, { "tool", "42" }, { "user", "Thanks" },
};
static const struct { const hone_chat_msg *m; size_t n; } convs[] = {
    { conv0, N_OF(conv0) }, { conv1, N_OF(conv1) }, { conv2, N_OF(conv2) },
};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static cJSON *read_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", HONE_CHAT_DATA, name);
    char *s = read_file(path);
    assert_non_null(s);
    cJSON *j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    return j;
}

static void expect_format(hone_chat_template t, const hone_chat_msg *m, size_t n, bool add,
                          const char *want, const char *what)
{
    char *out = NULL;
    hone_error err = { 0 };
    hone_status st = hone_chat_apply(t, m, n, add, &out, &err);
    if (st != HONE_OK) fail_msg("%s: %s", what, err.msg);
    if (strcmp(out, want) != 0)
        fail_msg("%s (%s):\n got: [%s]\nwant: [%s]", what, hone_chat_template_name(t), out, want);
    free(out);
}

/* system + user + assistant + user, expected strings from llama.cpp */
static void test_common_templates(void **state)
{
    (void)state;
    static const hone_chat_msg m[] = {
        { "system", "S" }, { "user", "U1" }, { "assistant", "A1" }, { "user", "U2" },
    };
    static const struct { const char *name, *want; } cases[] = {
        { "chatml", "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n"
                    "<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n"
                    "<|im_start|>assistant\n" },
        { "llama2", "[INST] S\nU1 [/INST]A1</s>[INST] U2 [/INST]" },
        { "llama2-sys", "[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST]A1</s>[INST] U2 [/INST]" },
        { "llama3", "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                    "<|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|>"
                    "<|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>"
                    "<|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|>"
                    "<|start_header_id|>assistant<|end_header_id|>\n\n" },
        { "phi3", "<|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\nA1<|end|>\n"
                  "<|user|>\nU2<|end|>\n<|assistant|>\n" },
        { "mistral-v1", " [INST] S\n\nU1 [/INST] A1</s> [INST] U2 [/INST]" },
        { "mistral-v3", "[INST] S\n\nU1[/INST] A1</s>[INST] U2[/INST]" },
        { "mistral-v3-tekken", "[INST]S\n\nU1[/INST]A1</s>[INST]U2[/INST]" },
        { "mistral-v7", "[SYSTEM_PROMPT] S[/SYSTEM_PROMPT][INST] U1[/INST] A1</s>[INST] U2[/INST]" },
        { "gemma", "<start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
                   "<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n" },
        { "zephyr", "<|system|>\nS<|endoftext|>\n<|user|>\nU1<|endoftext|>\n<|assistant|>\n"
                    "A1<|endoftext|>\n<|user|>\nU2<|endoftext|>\n<|assistant|>\n" },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        hone_chat_template t;
        hone_error err = { 0 };
        assert_int_equal(hone_chat_template_by_name(cases[i].name, &t, &err), HONE_OK);
        expect_format(t, m, N_OF(m), true, cases[i].want, cases[i].name);
    }
}

/* every template by name, three conversations, with/without the prompt */
static void test_all_templates_by_name(void **state)
{
    (void)state;
    cJSON *j = read_json("llamacpp_by_name.json");
    int n = 0;
    bool seen[HONE_CHAT_COUNT] = { false };
    cJSON *e;
    cJSON_ArrayForEach(e, j) {
        const char *name = cJSON_GetObjectItem(e, "template")->valuestring;
        int c = cJSON_GetObjectItem(e, "conv")->valueint;
        bool add = cJSON_IsTrue(cJSON_GetObjectItem(e, "add_assistant"));
        const char *want = cJSON_GetObjectItem(e, "expected")->valuestring;
        hone_chat_template t;
        hone_error err = { 0 };
        if (hone_chat_template_by_name(name, &t, &err) != HONE_OK) fail_msg("%s", err.msg);
        assert_in_range(c, 0, (int)N_OF(convs) - 1);
        char what[96];
        snprintf(what, sizeof what, "%s conv %d add %d", name, c, add);
        expect_format(t, convs[c].m, convs[c].n, add, want, what);
        seen[t] = true;
        n++;
    }
    cJSON_Delete(j);
    assert_true(n >= 200);
    /* every llama.cpp template is covered (dots1 has no llama.cpp name) */
    for (int t = 1; t < HONE_CHAT_COUNT; t++)
        if (t != HONE_CHAT_DOTS1 && !seen[t])
            fail_msg("template %s not in the llama.cpp data", hone_chat_template_name(t));
}

/* llama.cpp's tests/test-chat-template.cpp cases: detection + output */
static void test_llamacpp_cases(void **state)
{
    (void)state;
    cJSON *j = read_json("llamacpp_cases.json");
    int n = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, j) {
        const char *name = cJSON_GetObjectItem(e, "name")->valuestring;
        const char *tmpl = cJSON_GetObjectItem(e, "template")->valuestring;
        const char *src = cJSON_GetObjectItem(e, "template_str")->valuestring;
        const char *want = cJSON_GetObjectItem(e, "expected_output")->valuestring;
        hone_chat_template t = HONE_CHAT_UNKNOWN;
        hone_error err = { 0 };
        if (hone_chat_detect(src, &t, &err) != HONE_OK) fail_msg("%s: %s", name, err.msg);
        if (strcmp(hone_chat_template_name(t), tmpl) != 0)
            fail_msg("%s: detected %s, llama.cpp %s", name, hone_chat_template_name(t), tmpl);
        hone_chat_msg msgs[16];
        size_t nm = 0;
        for (; nm < N_OF(conv0); nm++) msgs[nm] = conv0[nm];
        cJSON *extra = cJSON_GetObjectItem(e, "extra_conversation"), *x;
        cJSON_ArrayForEach(x, extra) {
            assert_true(nm < N_OF(msgs));
            msgs[nm].role = cJSON_GetArrayItem(x, 0)->valuestring;
            msgs[nm].content = cJSON_GetArrayItem(x, 1)->valuestring;
            nm++;
        }
        expect_format(t, msgs, nm, true, want, name);
        n++;
    }
    cJSON_Delete(j);
    assert_true(n >= 30);
}

/* real model templates found in the data folder */
static void test_model_templates(void **state)
{
    (void)state;
    char *manifest = read_file(HONE_CHAT_DATA "/manifest.txt");
    assert_non_null(manifest);
    DIR *d = opendir(HONE_CHAT_DATA);
    assert_non_null(d);
    struct dirent *de;
    int n = 0, n_unknown = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 7 || strcmp(de->d_name + len - 6, ".jinja") != 0) continue;
        /* expected name: "<file> <name>\n" in the manifest */
        char key[300], want_name[64] = "";
        snprintf(key, sizeof key, "%s ", de->d_name);
        const char *line = strstr(manifest, key);
        if (!line) fail_msg("%s is not in manifest.txt", de->d_name);
        sscanf(line + strlen(key), "%63s", want_name);
        char path[600];
        snprintf(path, sizeof path, "%s/%s", HONE_CHAT_DATA, de->d_name);
        char *src = read_file(path);
        assert_non_null(src);
        hone_chat_template t = HONE_CHAT_UNKNOWN;
        hone_error err = { 0 };
        hone_status st = hone_chat_detect(src, &t, &err);
        if (strcmp(want_name, "unknown") == 0) {
            assert_int_equal(st, HONE_ERR_UNSUPPORTED);
            assert_non_null(strstr(err.msg, "chatml"));
            assert_null(strchr(err.msg, '\n'));
            n_unknown++;
        } else {
            if (st != HONE_OK) fail_msg("%s: %s", de->d_name, err.msg);
            if (strcmp(hone_chat_template_name(t), want_name) != 0)
                fail_msg("%s: detected %s, llama.cpp %s", de->d_name, hone_chat_template_name(t),
                         want_name);
            snprintf(path, sizeof path, "%s/%s.out", HONE_CHAT_DATA, de->d_name);
            char *want = read_file(path);
            assert_non_null(want);
            expect_format(t, conv0, N_OF(conv0), true, want, de->d_name);
            free(want);
        }
        free(src);
        n++;
    }
    closedir(d);
    free(manifest);
    assert_true(n >= 8);
    assert_true(n_unknown >= 1);
}

static void test_names(void **state)
{
    (void)state;
    const char *all = hone_chat_template_names();
    int count = 1;
    for (const char *p = all; *p; p++) count += *p == ',';
    assert_int_equal(count, HONE_CHAT_COUNT - 1);
    for (int t = 1; t < HONE_CHAT_COUNT; t++) {
        const char *name = hone_chat_template_name((hone_chat_template)t);
        assert_string_not_equal(name, "unknown");
        /* listed as a whole word */
        size_t len = strlen(name);
        const char *p = all;
        bool found = false;
        while ((p = strstr(p, name)) != NULL) {
            bool start = p == all || p[-1] == ' ';
            bool end = p[len] == ',' || p[len] == '\0';
            if (start && end) { found = true; break; }
            p++;
        }
        if (!found) fail_msg("%s missing from the names list", name);
        hone_chat_template back;
        hone_error err = { 0 };
        assert_int_equal(hone_chat_template_by_name(name, &back, &err), HONE_OK);
        assert_int_equal(back, t);
        /* a bare name is accepted by detection too, as in llama.cpp */
        assert_int_equal(hone_chat_detect(name, &back, &err), HONE_OK);
        assert_int_equal(back, t);
    }
    assert_string_equal(hone_chat_template_name(HONE_CHAT_COUNT), "unknown");
}

/* Mistral's templates (llama architecture, so nothing else tells them
 * apart): llama.cpp's llm_chat_detect_template branch on "mistral" / [INST],
 * each case's answer from the reference libllama. Real templates (Nemo:
 * v3-tekken; Small 3.2, Ministral 3, Devstral: v7) are in data/. */
static void test_mistral_detection(void **state)
{
    (void)state;
    static const struct { const char *tmpl, *want; } cases[] = {
        { "mistral", "llama2" }, /* a prefix, not a name */
        { "mistral {{ messages }}", "llama2" },
        { "{{ '[INST]' + m }}", "llama2" },
        { "{{ '[INST] <<SYS>>' }}", "llama2-sys" },
        { "{% if tools %}[AVAILABLE_TOOLS]{% endif %}{{ '[INST] ' + m }}", "mistral-v3" },
        { "{% if tools %}[AVAILABLE_TOOLS]{% endif %}{{ \"[INST]\" + m }}", "mistral-v3-tekken" },
        { "{{ bos_token }}{{ ' [INST] ' + system_message }}", "mistral-v1" },
        { "{{ '[SYSTEM_PROMPT]' + s }}{{ '[INST]' + m }}", "mistral-v7" },
        { "mistral-v7-tekken", "mistral-v7-tekken" }, /* only by name, as in llama.cpp */
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        hone_chat_template t = HONE_CHAT_UNKNOWN;
        hone_error err = { 0 };
        if (hone_chat_detect(cases[i].tmpl, &t, &err) != HONE_OK)
            fail_msg("%s: %s", cases[i].tmpl, err.msg);
        if (strcmp(hone_chat_template_name(t), cases[i].want) != 0)
            fail_msg("'%s': detected %s, llama.cpp %s", cases[i].tmpl, hone_chat_template_name(t),
                     cases[i].want);
    }
}

static void test_errors(void **state)
{
    (void)state;
    hone_chat_template t;
    hone_error err = { 0 };
    assert_int_equal(hone_chat_template_by_name("chatml2", &t, &err), HONE_ERR_ARG);
    assert_non_null(strstr(err.msg, "chatml2"));
    assert_non_null(strstr(err.msg, "llama3"));
    assert_int_equal(hone_chat_template_by_name(NULL, &t, &err), HONE_ERR_ARG);
    assert_int_equal(hone_chat_detect(NULL, &t, &err), HONE_ERR_ARG);
    assert_int_equal(hone_chat_detect("", &t, &err), HONE_ERR_ARG);
    assert_int_equal(hone_chat_detect("{{ messages }}\nno markers", &t, &err),
                     HONE_ERR_UNSUPPORTED);
    char *out = (char *)"x";
    assert_int_equal(hone_chat_apply(HONE_CHAT_UNKNOWN, conv0, 1, true, &out, &err), HONE_ERR_ARG);
    assert_null(out);
    assert_int_equal(hone_chat_apply((hone_chat_template)999, conv0, 1, true, &out, &err),
                     HONE_ERR_ARG);
    hone_chat_msg bad[] = { { "user", NULL } };
    assert_int_equal(hone_chat_apply(HONE_CHAT_CHATML, bad, 1, true, &out, &err), HONE_ERR_ARG);
    assert_non_null(strstr(err.msg, "content"));
    /* an empty conversation is fine */
    assert_int_equal(hone_chat_apply(HONE_CHAT_LLAMA3, NULL, 0, false, &out, &err), HONE_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(hone_chat_apply(HONE_CHAT_CHATML, NULL, 0, true, &out, &err), HONE_OK);
    assert_string_equal(out, "<|im_start|>assistant\n");
    free(out);
}

/* a long conversation grows the buffer many times */
static void test_long_conversation(void **state)
{
    (void)state;
    enum { N = 2000 };
    hone_chat_msg *m = malloc(sizeof *m * N);
    for (int i = 0; i < N; i++) m[i] = (hone_chat_msg){ i % 2 ? "assistant" : "user", "0123456789" };
    char *out = NULL;
    hone_error err = { 0 };
    assert_int_equal(hone_chat_apply(HONE_CHAT_CHATML, m, N, true, &out, &err), HONE_OK);
    size_t per = strlen("<|im_start|>user\n0123456789<|im_end|>\n");
    size_t want = (N / 2) * per + (N / 2) * (per + 5) + strlen("<|im_start|>assistant\n");
    assert_int_equal(strlen(out), want);
    free(out);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_templates),
        cmocka_unit_test(test_all_templates_by_name),
        cmocka_unit_test(test_llamacpp_cases),
        cmocka_unit_test(test_model_templates),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_mistral_detection),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_long_conversation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_llmc: llm.c's checkpoint format (engine/checkpoint.h): a model whose every parameter
 * says where it is (tensor, layer, index) written by ckpt_save_llmc has llm.c's header and
 * each tensor at the offset llm.c reads it from, over every layer, the token embedding padded
 * with zero rows; read back by ckpt_load_llmc it is the same model. Refused: another magic,
 * another version, a truncated file, one longer than its header says, a configuration the
 * engine cannot build. (A model moved between this engine and PyTorch through the format,
 * with the same losses: test_parity.) */
#include "testutil.h"

#include "checkpoint.h"

static const GPTConfig k_cfg = {.layers = 2, .heads = 2, .embd = 8, .ctx = 4, .batch = 1, .vocab = 5};

/* The value of parameter i of tensor t: unique, exact in float. */
static float mark(int t, size_t i)
{
    return (float)(t * 1000 + (int)i) + 0.5f;
}

static void fill(GPT *m)
{
    for (int t = 0; t < m->n_tensors; t++)
        for (size_t i = 0; i < m->tensors[t].numel; i++)
            m->tensors[t].data[i] = mark(t, i);
}

/* Writes m to a memory file; its bytes in *buf (free), its size returned. */
static size_t save(const GPT *m, char **buf)
{
    size_t n = 0;
    FILE *f = open_memstream(buf, &n);
    assert_non_null(f);
    assert_int_equal(ckpt_save_llmc(f, m), ENG_OK);
    fclose(f);
    return n;
}

static void test_layout_byte_for_byte(void **state)
{
    (void)state;
    GPT m;
    assert_int_equal(gpt_create(&m, &k_cfg, 1), ENG_OK);
    fill(&m);
    char *buf;
    size_t n = save(&m, &buf);
    const int32_t *h = (const int32_t *)buf;
    const int C = 8, L = 2, T = 4, V = 5, Vp = 128;
    int want[8] = {20240326, 3, T, V, L, 2, C, Vp};
    for (int i = 0; i < 8; i++)
        assert_int_equal(h[i], want[i]);
    for (int i = 8; i < 256; i++)
        assert_int_equal(h[i], 0);
    /* llm.c's offsets, tensor by tensor (train_gpt2.c: fill_in_parameter_sizes) */
    const struct {
        int global, index;
        size_t per_layer;
    } order[] = {{1, GPT_WTE, (size_t)Vp * C},
                 {1, GPT_WPE, (size_t)T * C},
                 {0, GPT_LN1_W, C},
                 {0, GPT_LN1_B, C},
                 {0, GPT_QKV_W, 3 * C * C},
                 {0, GPT_QKV_B, 3 * C},
                 {0, GPT_PROJ_W, C * C},
                 {0, GPT_PROJ_B, C},
                 {0, GPT_LN2_W, C},
                 {0, GPT_LN2_B, C},
                 {0, GPT_FC_W, 4 * C * C},
                 {0, GPT_FC_B, 4 * C},
                 {0, GPT_FCPROJ_W, 4 * C * C},
                 {0, GPT_FCPROJ_B, C},
                 {1, GPT_LNF_W, C},
                 {1, GPT_LNF_B, C}};
    const float *p = (const float *)(buf + 1024);
    size_t off = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (int l = 0; l < (order[k].global ? 1 : L); l++) {
            int t = order[k].global ? order[k].index : GPT_GLOBALS + l * GPT_PER_LAYER + order[k].index;
            for (size_t i = 0; i < order[k].per_layer; i++) {
                float expect = t == GPT_WTE && i >= (size_t)V * C ? 0.0f : mark(t, i);
                if (p[off + i] != expect)
                    fail_msg("tensor %d layer %d element %zu at float %zu: %g, not %g", order[k].index, l, i,
                             off + i, p[off + i], expect);
            }
            off += order[k].per_layer;
        }
    assert_int_equal(n, 1024 + off * sizeof(float));
    /* read back: the same model */
    FILE *f = fmemopen(buf, n, "rb");
    GPT back;
    const char *why = "";
    assert_int_equal(ckpt_load_llmc(f, &back, 3, &why), ENG_OK);
    fclose(f);
    assert_int_equal(back.cfg.layers, L);
    assert_int_equal(back.cfg.vocab, V);
    assert_int_equal(back.cfg.batch, 3);
    assert_int_equal(back.n_params, m.n_params);
    assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
    gpt_destroy(&back);
    gpt_destroy(&m);
    free(buf);
}

/* ckpt_load_llmc on bytes refuses them with a reason holding want. */
static void refused(const char *bytes, size_t n, const char *want)
{
    FILE *f = fmemopen((void *)bytes, n, "rb");
    assert_non_null(f);
    GPT m;
    const char *why = "";
    assert_int_equal(ckpt_load_llmc(f, &m, 1, &why), ENG_EDATA);
    fclose(f);
    if (!strstr(why, want))
        fail_msg("refused with '%s', not '%s'", why, want);
}

static void test_bad_files_refused(void **state)
{
    (void)state;
    GPT m;
    assert_int_equal(gpt_create(&m, &k_cfg, 1), ENG_OK);
    char *buf;
    size_t n = save(&m, &buf);
    gpt_destroy(&m);
    char *copy = malloc(n + 4);
    memcpy(copy, buf, n);
    ((int32_t *)copy)[0] = 20240327;
    refused(copy, n, "not an llm.c checkpoint");
    memcpy(copy, buf, n);
    ((int32_t *)copy)[1] = 5; /* bf16 */
    refused(copy, n, "another version");
    refused(buf, n - 4, "truncated");
    refused(buf, 100, "too short");
    memcpy(copy, buf, n);
    memset(copy + n, 0, 4);
    refused(copy, n + 4, "longer than its header");
    memcpy(copy, buf, n);
    ((int32_t *)copy)[5] = 3; /* heads not dividing channels */
    refused(copy, n, "configuration");
    free(copy);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_byte_for_byte),
        cmocka_unit_test(test_bad_files_refused),
    };
    return cmocka_run_group_tests_name("llmc", tests, NULL, NULL);
}

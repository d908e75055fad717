/* checkpoint.h - save and resume training: the model's parameters and AdamW state, the
 * step count, the batch generator's state and the vocabulary, in one versioned binary file
 * (docs/train_full.md). Resuming from a checkpoint written after step k continues with the
 * same losses as a run that never stopped.
 *
 * Owns nothing: ckpt_save writes from a GPT, ckpt_load fills a GPT it creates (the caller
 * destroys it) and is safe on arbitrary bytes (fuzzed). */
#ifndef ENGINE_CHECKPOINT_H
#define ENGINE_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>

#include "gpt.h"

#define CKPT_MAGIC "FMCKPT1"
#define CKPT_VERSION 1u

typedef struct CkptMeta {
    uint64_t step; /* training iterations done */
    uint64_t rng_state; /* the batch generator's state after them */
    uint64_t seed;
    int vocab;
    uint8_t itos[256]; /* characters: the vocabulary, token id -> byte */
    uint32_t tokenizer; /* CKPT_TOKENIZER_CHAR or _BPE */
    uint64_t tokenizer_hash; /* BPE: bpe_hash of the tokenizer it was trained with */
} CkptMeta;

enum { CKPT_TOKENIZER_CHAR = 0, CKPT_TOKENIZER_BPE = 1 };

/* Writes the checkpoint to f (the caller writes to a temporary file and renames).
 * ENG_EIO on a write error. */
EngErr ckpt_save(FILE *f, const GPT *m, const CkptMeta *meta);

/* Reads a checkpoint: creates *m (config from the file) and fills it and *meta. On any
 * error nothing is left allocated and *why says what is wrong (not a checkpoint, newer
 * version, truncated, corrupt, bad configuration). ENG_EDATA, ENG_ENOMEM or ENG_EIO. */
EngErr ckpt_load(FILE *f, GPT *m, CkptMeta *meta, const char **why);

/* llm.c's checkpoint (Karpathy's C trainer, train_gpt2.c, docs/train_full.md): 256
 * little-endian int32 (magic 20240326, version 3, max_seq_len, vocab_size, num_layers,
 * num_heads, channels, padded_vocab_size, the rest 0), then the float32 parameters tensor
 * by tensor, each over every layer: wte [Vp, C], wpe [T, C], ln1w [L, C], ln1b [L, C],
 * qkvw [L, 3C, C], qkvb [L, 3C], attprojw [L, C, C], attprojb [L, C], ln2w [L, C],
 * ln2b [L, C], fcw [L, 4C, C], fcb [L, 4C], fcprojw [L, C, 4C], fcprojb [L, C], lnfw [C],
 * lnfb [C]. The output layer is wte (tied), as here; the padded rows of wte are zeros. No
 * optimizer state, step or vocabulary: a model moves, not a training run. */
#define LLMC_MAGIC 20240326
#define LLMC_VERSION 3
#define LLMC_HEADER_INTS 256

/* The padded vocabulary llm.c would use for vocab: the next multiple of 128. */
int llmc_padded_vocab(int vocab);

/* Writes m in llm.c's layout (wte padded to llmc_padded_vocab). ENG_EIO. */
EngErr ckpt_save_llmc(FILE *f, const GPT *m);

/* Reads one: creates *m with the file's configuration and batch (the file has none), its
 * parameters filled, AdamW's moments zero. ENG_EDATA with *why (not llm.c's, another
 * version, truncated, a configuration the engine refuses), ENG_ENOMEM. */
EngErr ckpt_load_llmc(FILE *f, GPT *m, int batch, const char **why);

#endif

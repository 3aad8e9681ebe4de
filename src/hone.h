/* hone.h — libhone's public API: everything a front-end uses, and all it
 * may use. The CLI (src/cli/) includes this header and its own; the server
 * will be the second front-end of the same API.
 *
 * The layers underneath, each usable on its own:
 *   core/        status.h (errors as values: every fallible call returns a
 *                hone_status and fills a hone_error with one line naming
 *                what is wrong; the library never prints and never exits),
 *                types.h (tensor type traits);
 *   build_info/  build_info.h: what this binary is, the CPU check, the
 *                thread-count heuristics (hone_resolve_threads);
 *   kernels/     kernels.h: the kernel sets and hone_kernels_select.
 *
 * libhone itself (src/):
 *   gguf.h           reading GGUF files (metadata, tensors);
 *   model.h          a model: load, opaque handle, what a front-end asks;
 *   tokenizer.h      text <-> tokens (tok_*), from the model's vocabulary;
 *   engine.h         contexts: evaluate tokens, get logits;
 *   sampler.h        logits -> next token;
 *   chat_template.h  a conversation -> a prompt;
 *   perplexity.h     llama-perplexity's measurement;
 *   quantize.h       hone quantize: GGUF in, quantized GGUF out (quant_mix.h);
 *   threadpool.h     the worker threads a context runs on (shareable).
 *
 * Settings are values. The library reads no environment variable and no
 * settings file: a front-end resolves the user's flags, HONE_THREADS,
 * HONE_KERNELS and build_info.json once and passes the results in
 * (hone_context_params), so two front-ends in one process cannot disagree.
 */
#ifndef HONE_H
#define HONE_H

#include "build_info.h"
#include "chat_template.h"
#include "engine.h"
#include "gguf.h"
#include "kernels.h"
#include "load_plan.h"
#include "model.h"
#include "perplexity.h"
#include "quantize.h"
#include "sampler.h"
#include "status.h"
#include "threadpool.h"
#include "tokenizer.h"
#include "types.h"

#endif

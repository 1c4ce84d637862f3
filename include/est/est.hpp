// The one header users include: every public part of est.
#pragma once

#include <est/core/xtensor_config.hpp>

#include <est/core/backend.hpp>
#include <est/core/buffer.hpp>
#include <est/core/error.hpp>
#include <est/core/fixed_string.hpp>
#include <est/core/host_device.hpp>
#include <est/core/layout.hpp>
#include <est/core/memory_space.hpp>
#include <est/core/mode.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/random.hpp>
#include <est/core/record.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>

#include <est/host/backend.hpp>

#include <est/nn/activation.hpp>
#include <est/nn/avg_pool2d.hpp>
#include <est/nn/batch_norm.hpp>
#include <est/nn/conv2d.hpp>
#include <est/nn/dense.hpp>
#include <est/nn/dropout.hpp>
#include <est/nn/flatten.hpp>
#include <est/nn/input.hpp>
#include <est/nn/layer.hpp>
#include <est/nn/max_pool2d.hpp>
#include <est/nn/ops.hpp>
#include <est/nn/padding.hpp>
#include <est/nn/sequential.hpp>

#include <est/train/adam.hpp>
#include <est/train/learning_rate.hpp>
#include <est/train/losses.hpp>
#include <est/train/metrics.hpp>
#include <est/train/optimizer.hpp>
#include <est/train/sgd.hpp>

#include <est/data/batch.hpp>
#include <est/data/cache.hpp>
#include <est/data/dataset.hpp>
#include <est/data/element_spec.hpp>
#include <est/data/example_schema.hpp>
#include <est/data/filter.hpp>
#include <est/data/from_tensor_slices.hpp>
#include <est/data/idx.hpp>
#include <est/data/image.hpp>
#include <est/data/image_shards.hpp>
#include <est/data/interleave.hpp>
#include <est/data/list_files.hpp>
#include <est/data/map.hpp>
#include <est/data/padded_batch.hpp>
#include <est/data/parallelism.hpp>
#include <est/data/prefetch.hpp>
#include <est/data/repeat.hpp>
#include <est/data/shuffle.hpp>
#include <est/data/slice.hpp>
#include <est/data/tf_example.hpp>
#include <est/data/tfrecord_dataset.hpp>
#include <est/data/zip.hpp>

#include <est/estimator/checkpoint.hpp>
#include <est/estimator/estimator.hpp>
#include <est/estimator/heads.hpp>
#include <est/estimator/hook.hpp>
#include <est/estimator/evaluation.hpp>
#include <est/estimator/hooks/checkpoint_saver.hpp>
#include <est/estimator/hooks/early_stopping.hpp>
#include <est/estimator/hooks/logging.hpp>
#include <est/estimator/hooks/model_stats.hpp>
#include <est/estimator/hooks/nan_tensor.hpp>
#include <est/estimator/hooks/profiler.hpp>
#include <est/estimator/hooks/progress_bar.hpp>
#include <est/estimator/hooks/step_counter.hpp>
#include <est/estimator/hooks/stop_at_step.hpp>
#include <est/estimator/hooks/summary_saver.hpp>
#include <est/estimator/prediction.hpp>
#include <est/estimator/run_config.hpp>
#include <est/estimator/session.hpp>
#include <est/estimator/spec.hpp>
#include <est/estimator/train_and_evaluate.hpp>
#include <est/estimator/warm_start.hpp>

#include <est/io/atomic_file.hpp>
#include <est/io/crc32c.hpp>
#include <est/io/decode_image.hpp>
#include <est/io/event_writer.hpp>
#include <est/io/image.hpp>
#include <est/io/jpeg.hpp>
#include <est/io/png.hpp>
#include <est/io/protobuf_wire.hpp>
#include <est/io/safetensors.hpp>
#include <est/io/tfrecord.hpp>

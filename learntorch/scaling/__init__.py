"""Programs that lesson 14 starts in several processes: with ``torchrun`` (data parallelism by
hand, DistributedDataParallel) and as Optuna workers that share one study."""

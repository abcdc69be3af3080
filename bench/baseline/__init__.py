"""The two yardsticks of the benchmark suite: a minimal Channels server (tutorial shape)
and a plain `websockets` broadcast server. Neither persists anything."""

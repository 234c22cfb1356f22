"""The engine (计算引擎): batch computations written once as Ibis expressions.

They run on DuckDB in-process by default, or on Spark (pyspark; local mode here, a cluster in
production) when ``SAFETYNET_ENGINE=spark`` or ``backend="spark"`` is given, with identical
results. ``backend`` connects; ``lake`` reads the departmental batches in force at a date.
"""

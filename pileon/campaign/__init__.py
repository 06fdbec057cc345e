"""Campaign mode: many threads (targets), millions of posts, the same analyzers run partition by
partition on Dask over Parquet. Dask and pyarrow are imported only here and only when a campaign
command runs (`pip install 'pileon[campaign]'`); the single-thread path never needs them.
"""

-- current_build: the warehouse's build_info row (one row), as every surface reads it.
SELECT * FROM build_info

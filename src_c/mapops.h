/* Single-element map calls for integer keys and values: the bpf_attr is built here, so a
 * Python `m[k]` or `m[k] = v` is one call. Keys and values are the map's little-endian
 * integers of `shape` = key_size << 8 | value_size bytes (each 1, 2, 4 or 8). EINTR is
 * retried. Kept thin: pybpf.kernel.maps checks every result against its Python path. */

/* BPF_MAP_LOOKUP_ELEM: the value, or 0 with errno set (ENOENT: no such key; ERANGE: the
 * key does not fit in key_size bytes). errno is 0 after a successful lookup. */
unsigned long long pybpf_map_get_uint(int fd, unsigned long long key, unsigned int shape);

/* BPF_MAP_UPDATE_ELEM with `flags`: 0 or the errno (ERANGE: key or value does not fit). */
int pybpf_map_set_uint(int fd, unsigned long long key, unsigned long long value, unsigned int shape,
                       unsigned long long flags);

/* BPF_MAP_DELETE_ELEM: 0 or the errno (ERANGE: the key does not fit). */
int pybpf_map_del_uint(int fd, unsigned long long key, unsigned int shape);

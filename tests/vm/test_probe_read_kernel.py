"""The VM's probe_read_* answers against the kernel's: the same program, the same addresses
(an unmapped user address, NULL, the program's own stack, a low user address, a
non-canonical one) through
BPF_PROG_TEST_RUN of a socket filter; the return value (0, a length, -EFAULT or -ERANGE)
and the bytes read must agree. (Which kernel addresses are mapped is the kernel's own
business: the VM answers -EFAULT for every kernel address its memory image lacks.)"""
from __future__ import annotations

import pytest

from pybpf.testing import BpfProgram

pytestmark = pytest.mark.kernel

ADDRESSES = {
    "unmapped user": "r3 = 0x7f00dead0000 ll",
    "null": "r3 = 0",
    "own stack": "r3 = r10\nr3 += -8",
    "low user": "r3 = 0x1000",
    "non-canonical": "r3 = 0x8000000000000000 ll",
}
HELPERS = ["probe_read_user", "probe_read_kernel", "probe_read_user_str", "probe_read_kernel_str"]


@pytest.mark.parametrize("helper", HELPERS)
@pytest.mark.parametrize("where", list(ADDRESSES))
def test_probe_read_errno_matches_kernel(helper, where):
    prog = BpfProgram.load(f"""
        *(u64 *)(r10 - 8) = 0x41
        *(u64 *)(r10 - 16) = -1
        r1 = r10
        r1 += -16
        r2 = 8
        {ADDRESSES[where]}
        call bpf_{helper}
        r1 = *(u8 *)(r10 - 16)
        r0 <<= 8
        r0 |= r1
        exit
    """, prog_type="socket_filter")
    with prog:
        out = prog.run(packet=bytes(64), backend="both")  # raises BackendMismatch
        assert out.kernel is not None

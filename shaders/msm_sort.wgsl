// Pippenger's bucket sort on the GPU, one counting sort per window, all windows at once.
// keys[w·n + i] is point i's signed digit in window w: bucket |d| (1..B) in the low bits, the sign
// in bit 31, 0 when the digit is 0 (the point is skipped). Three kernels, in order:
//   count:   counts[w·B + b − 1] = how many points of window w fall in bucket b (atomics);
//   scan:    offsets = exclusive prefix sums of counts within each window, cursor = offsets;
//   scatter: sorted[w·n + cursor[..]++] = i | sign (the order inside a bucket is arbitrary,
//            which the sums do not see).

struct SortParams {
    // Points.
    n: u32,
    // Windows.
    windows: u32,
    // Buckets per window.
    buckets: u32,
    zero: u32,
}

@group(0) @binding(0) var<storage, read_write> keys: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> cursor: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> sorted: array<u32>;
@group(0) @binding(5) var<uniform> sp: SortParams;

fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
}

@compute @workgroup_size(WG_SIZE)
fn count(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let t = flat(wid, nwg, lid);
    if t >= sp.n * sp.windows {
        return;
    }
    let b = keys[t] & 0x7fffffffu;
    if b != 0u {
        atomicAdd(&counts[(t / sp.n) * sp.buckets + b - 1u], 1u);
    }
}

var<workgroup> part: array<u32, WG_SIZE>;

// One workgroup per window (workgroup x = window): thread j scans its slice of the buckets.
@compute @workgroup_size(WG_SIZE)
fn scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let w = wid.x;
    let per = (sp.buckets + WG_SIZE - 1u) / WG_SIZE;
    let lo = min(lid * per, sp.buckets);
    let hi = min(lo + per, sp.buckets);
    let base = w * sp.buckets;
    var s = 0u;
    for (var b = lo; b < hi; b++) {
        s += atomicLoad(&counts[base + b]);
    }
    part[lid] = s;
    workgroupBarrier();
    if lid == 0u {
        var run = 0u;
        for (var j = 0u; j < WG_SIZE; j++) {
            let v = part[j];
            part[j] = run;
            run += v;
        }
    }
    workgroupBarrier();
    var run = part[lid];
    for (var b = lo; b < hi; b++) {
        offsets[base + b] = run;
        atomicStore(&cursor[base + b], run);
        run += atomicLoad(&counts[base + b]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let t = flat(wid, nwg, lid);
    if t >= sp.n * sp.windows {
        return;
    }
    let k = keys[t];
    let b = k & 0x7fffffffu;
    if b != 0u {
        let w = t / sp.n;
        let i = t - w * sp.n;
        let pos = atomicAdd(&cursor[w * sp.buckets + b - 1u], 1u);
        sorted[w * sp.n + pos] = i | (k & 0x80000000u);
    }
}

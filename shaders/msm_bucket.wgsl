// Pippenger's bucket accumulation and parallel bucket reduction (after msm_sort.wgsl).
// A bucket's entries are split into tasks of bounded length (planned on the CPU from the counts),
// so a bucket that holds many points (equal scalars) does not serialise one invocation:
//   partial: one invocation per task: parts[t] = Σ ±P_i over sorted[start .. start + len];
//   merge:   one invocation per (window w, bucket b): bk[w·B + b] = Σ of its tasks' parts;
//   reduce:  one invocation per (window w, segment s) of `seg` buckets starting at bucket lo = s·seg:
//            res[2t] = Σ_j (j + 1)·bk[lo + j] (a running sum from the top), res[2t + 1] = Σ_j bk[lo + j].
// The CPU finishes: window sum = Σ_s res[2t] + lo·res[2t + 1], then the windows by doublings.
// Points in parts, buckets and results are projective (X ‖ Y ‖ Z, Montgomery limbs); the
// `parts_*`, `bk_*` and `res_*` field helpers are generated per group (context.rs).

struct BucketParams {
    // Tasks.
    tasks: u32,
    // Windows × buckets.
    cells: u32,
    // Buckets per reduction segment.
    seg: u32,
    // Segments in all.
    segments: u32,
    zero: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> points: array<u32>;
@group(0) @binding(1) var<storage, read_write> sorted: array<u32>;
// Task t covers sorted[tasks[2t] .. tasks[2t] + tasks[2t + 1]].
@group(0) @binding(2) var<storage, read_write> tasks: array<u32>;
// The tasks of cell c are first[c] .. first[c + 1].
@group(0) @binding(3) var<storage, read_write> first: array<u32>;
@group(0) @binding(4) var<storage, read_write> parts: array<u32>;
@group(0) @binding(5) var<storage, read_write> bk: array<u32>;
@group(0) @binding(6) var<storage, read_write> res: array<u32>;
@group(0) @binding(7) var<uniform> bp: BucketParams;

// Words of one projective point.
const PT_WORDS: u32 = 3u * COORD_WORDS;

fn parts_store(j: u32, p: Point) {
    let base = j * PT_WORDS;
    parts_f_store(base, p.x);
    parts_f_store(base + COORD_WORDS, p.y);
    parts_f_store(base + 2u * COORD_WORDS, p.z);
}

fn parts_load(j: u32) -> Point {
    let base = j * PT_WORDS;
    return Point(parts_f_load(base), parts_f_load(base + COORD_WORDS), parts_f_load(base + 2u * COORD_WORDS));
}

fn bk_store(j: u32, p: Point) {
    let base = j * PT_WORDS;
    bk_f_store(base, p.x);
    bk_f_store(base + COORD_WORDS, p.y);
    bk_f_store(base + 2u * COORD_WORDS, p.z);
}

fn bk_load(j: u32) -> Point {
    let base = j * PT_WORDS;
    return Point(bk_f_load(base), bk_f_load(base + COORD_WORDS), bk_f_load(base + 2u * COORD_WORDS));
}

fn res_store(j: u32, p: Point) {
    let base = j * PT_WORDS;
    res_f_store(base, p.x);
    res_f_store(base + COORD_WORDS, p.y);
    res_f_store(base + 2u * COORD_WORDS, p.z);
}

@compute @workgroup_size(WG_SIZE)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    ZERO = bp.zero;
    let t = global_index(wid, nwg, lid);
    if t >= bp.tasks {
        return;
    }
    let start = tasks[2u * t];
    let len = tasks[2u * t + 1u];
    var acc = pt_identity();
    for (var k = 0u; k < len; k++) {
        let e = sorted[start + k];
        acc = pt_add(acc, pt_cneg(pt_load(e & 0x7fffffffu), (e >> 31u) == 1u));
    }
    parts_store(t, acc);
}

@compute @workgroup_size(WG_SIZE)
fn merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    ZERO = bp.zero;
    let c = global_index(wid, nwg, lid);
    if c >= bp.cells {
        return;
    }
    var acc = pt_identity();
    for (var t = first[c]; t < first[c + 1u]; t++) {
        acc = pt_add(acc, parts_load(t));
    }
    bk_store(c, acc);
}

@compute @workgroup_size(WG_SIZE)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    ZERO = bp.zero;
    let t = global_index(wid, nwg, lid);
    if t >= bp.segments {
        return;
    }
    let lo = t * bp.seg;
    var run = pt_identity();
    var acc = pt_identity();
    // Steps 2j and 2j + 1: run += bucket seg − 1 − j, then acc += run; one pt_add call site.
    for (var s = ZERO; s < 2u * bp.seg; s++) {
        let second = (s & 1u) == 1u;
        let j = bp.seg - 1u - (s >> 1u);
        var q = run;
        var a = acc;
        if !second {
            q = bk_load(lo + j);
            a = run;
        }
        let r = pt_add(a, q);
        if second {
            acc = r;
        } else {
            run = r;
        }
    }
    res_store(2u * t, acc);
    res_store(2u * t + 1u, run);
}

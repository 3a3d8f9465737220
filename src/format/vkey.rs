//! The Groth16 verification key JSON, byte-identical to `snarkjs zkey export verificationkey`
//! (snarkjs `src/zkey_export_verificationkey.js`, written by bfj with one-space indentation).

use ark_bn254::{Bn254, Fq, Fq12, Fq2, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::{BigInt, PrimeField};
use num_bigint::BigUint;
use serde_json::Value;

use crate::error::{Error, Location, Result};

/// What a Groth16 verifier needs: the header points of a zkey and its IC (section 3) points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// Number of public signals (outputs and public inputs).
    pub n_public: u32,
    /// [α]₁ from the zkey header.
    pub alpha1: G1Affine,
    /// [β]₂ from the zkey header.
    pub beta2: G2Affine,
    /// [γ]₂ from the zkey header.
    pub gamma2: G2Affine,
    /// [δ]₂ from the zkey header.
    pub delta2: G2Affine,
    /// The n_public + 1 IC points.
    pub ic: Vec<G1Affine>,
}

/// A JSON value as the verification key uses them (strings, one number, arrays).
enum Node {
    Str(String),
    Num(u32),
    Arr(Vec<Node>),
}

/// Decimal string of an Fq element in normal form.
fn dec(x: &Fq) -> Node {
    Node::Str(BigUint::from(x.into_bigint()).to_string())
}

/// Decimal pair [c0, c1] of an Fq2 element.
fn dec2(x: &Fq2) -> Node {
    Node::Arr(vec![dec(&x.c0), dec(&x.c1)])
}

/// ffjavascript `G1.toObject` of an affine point: [x, y, "1"], identity ["0", "1", "0"].
fn g1_node(p: &G1Affine) -> Node {
    let s = |v: &str| Node::Str(v.into());
    match p.xy() {
        Some((x, y)) => Node::Arr(vec![dec(&x), dec(&y), s("1")]),
        None => Node::Arr(vec![s("0"), s("1"), s("0")]),
    }
}

/// ffjavascript `G2.toObject`: [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]], identity with z = 0.
fn g2_node(p: &G2Affine) -> Node {
    let s = |v: &str| Node::Str(v.into());
    match p.xy() {
        Some((x, y)) => Node::Arr(vec![dec2(&x), dec2(&y), Node::Arr(vec![s("1"), s("0")])]),
        None => Node::Arr(vec![
            Node::Arr(vec![s("0"), s("0")]),
            Node::Arr(vec![s("1"), s("0")]),
            Node::Arr(vec![s("0"), s("0")]),
        ]),
    }
}

/// ffjavascript `Gt.toObject`: [[c0.c0, c0.c1, c0.c2], [c1.c0, c1.c1, c1.c2]], each an Fq2 pair.
/// arkworks' BN254 tower (Fq6 = Fq2[v]/(v³ − (9+u)), Fq12 = Fq6[w]/(w² − v)) is ffjavascript's;
/// the round-trip test on a real snarkjs key confirms the coefficient order.
fn gt_node(f: &Fq12) -> Node {
    let fq6 = |c: &ark_bn254::Fq6| Node::Arr(vec![dec2(&c.c0), dec2(&c.c1), dec2(&c.c2)]);
    Node::Arr(vec![fq6(&f.c0), fq6(&f.c1)])
}

/// Writes `node` the way bfj does with `space: 1`, at nesting depth `depth`.
fn write_node(out: &mut String, node: &Node, depth: usize) {
    match node {
        Node::Str(s) => {
            // Only decimal digits and fixed ASCII words occur: nothing to escape.
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Node::Num(n) => out.push_str(&n.to_string()),
        Node::Arr(items) if items.is_empty() => out.push_str("[]"),
        Node::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                push_indent(out, depth + 1);
                write_node(out, item, depth + 1);
            }
            out.push('\n');
            push_indent(out, depth);
            out.push(']');
        }
    }
}

/// `depth` spaces (bfj indentation with `space: 1`).
fn push_indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push(' ');
    }
}

impl VerificationKey {
    /// e(α₁, β₂), the `vk_alphabeta_12` entry.
    pub fn alphabeta_12(&self) -> Fq12 {
        Bn254::pairing(self.alpha1, self.beta2).0
    }

    /// The JSON text `snarkjs zkey export verificationkey` writes, byte for byte (no final
    /// newline); `vk_alphabeta_12` is computed from `alpha1` and `beta2`.
    pub fn to_json(&self) -> String {
        let fields: Vec<(&str, Node)> = vec![
            ("protocol", Node::Str("groth16".into())),
            ("curve", Node::Str("bn128".into())),
            ("nPublic", Node::Num(self.n_public)),
            ("vk_alpha_1", g1_node(&self.alpha1)),
            ("vk_beta_2", g2_node(&self.beta2)),
            ("vk_gamma_2", g2_node(&self.gamma2)),
            ("vk_delta_2", g2_node(&self.delta2)),
            ("vk_alphabeta_12", gt_node(&self.alphabeta_12())),
            ("IC", Node::Arr(self.ic.iter().map(g1_node).collect())),
        ];
        let mut out = String::with_capacity(4096 + 200 * self.ic.len());
        out.push('{');
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("\n \"");
            out.push_str(key);
            out.push_str("\": ");
            write_node(&mut out, value, 1);
        }
        out.push_str("\n}");
        out
    }

    /// Parses a verification key JSON (snarkjs Groth16/bn128 shape). Points must be on the curve
    /// (G2 also in the subgroup), IC must hold nPublic + 1 points, and `vk_alphabeta_12`, when
    /// present, must equal e(α₁, β₂).
    pub fn from_json(s: &str) -> Result<VerificationKey> {
        let v: Value = serde_json::from_str(s).map_err(|e| bad(format!("not JSON: {e}")))?;
        let obj = v.as_object().ok_or_else(|| bad("the top level is not an object"))?;
        let field = |k: &str| obj.get(k).ok_or_else(|| bad(format!("missing \"{k}\"")));

        let protocol = field("protocol")?.as_str();
        if protocol != Some("groth16") {
            return Err(bad(format!("protocol is {}, expected \"groth16\"", field("protocol")?)));
        }
        let curve = field("curve")?.as_str();
        if curve != Some("bn128") {
            return Err(bad(format!("curve is {}, expected \"bn128\"", field("curve")?)));
        }
        let n_public = field("nPublic")?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad("nPublic is not a 32-bit unsigned integer"))?;

        let alpha1 = parse_g1(field("vk_alpha_1")?, "vk_alpha_1")?;
        let beta2 = parse_g2(field("vk_beta_2")?, "vk_beta_2")?;
        let gamma2 = parse_g2(field("vk_gamma_2")?, "vk_gamma_2")?;
        let delta2 = parse_g2(field("vk_delta_2")?, "vk_delta_2")?;

        let ic_json = array(field("IC")?, "IC", None)?;
        if ic_json.len() as u64 != u64::from(n_public) + 1 {
            return Err(bad(format!(
                "IC has {} points, expected nPublic + 1 = {}",
                ic_json.len(),
                u64::from(n_public) + 1
            )));
        }
        let ic =
            ic_json.iter().enumerate().map(|(i, p)| parse_g1(p, &format!("IC[{i}]"))).collect::<Result<Vec<_>>>()?;

        let vk = VerificationKey { n_public, alpha1, beta2, gamma2, delta2, ic };
        if let Some(ab) = obj.get("vk_alphabeta_12") {
            let given = parse_fq12(ab)?;
            if given != vk.alphabeta_12() {
                return Err(Error::Invalid("verification key: vk_alphabeta_12 is not e(vk_alpha_1, vk_beta_2)".into()));
            }
        }
        Ok(vk)
    }
}

/// A format error in a verification key JSON.
fn bad(msg: impl Into<String>) -> Error {
    Error::malformed(Location::file("verification key JSON"), msg)
}

/// The elements of a JSON array, optionally of an exact length.
fn array<'a>(v: &'a Value, what: &str, len: Option<usize>) -> Result<&'a Vec<Value>> {
    let a = v.as_array().ok_or_else(|| bad(format!("{what} is not an array")))?;
    if let Some(n) = len {
        if a.len() != n {
            return Err(bad(format!("{what} has {} elements, expected {n}", a.len())));
        }
    }
    Ok(a)
}

/// An Fq element from a decimal string below q.
fn parse_fq(v: &Value, what: &str) -> Result<Fq> {
    let s = v.as_str().ok_or_else(|| bad(format!("{what} is not a string")))?;
    if s.is_empty() || s.len() > 80 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("{what} is not a decimal number: {s:?}")));
    }
    let n =
        BigUint::parse_bytes(s.as_bytes(), 10).ok_or_else(|| bad(format!("{what} is not a decimal number: {s:?}")))?;
    BigInt::<4>::try_from(n)
        .ok()
        .and_then(Fq::from_bigint)
        .ok_or_else(|| bad(format!("{what} is not below the field prime q")))
}

/// An Fq2 element from [c0, c1].
fn parse_fq2(v: &Value, what: &str) -> Result<Fq2> {
    let a = array(v, what, Some(2))?;
    Ok(Fq2::new(parse_fq(&a[0], &format!("{what}[0]"))?, parse_fq(&a[1], &format!("{what}[1]"))?))
}

/// An Fq12 element in ffjavascript's order [[c0.c0, c0.c1, c0.c2], [c1.c0, c1.c1, c1.c2]].
fn parse_fq12(v: &Value) -> Result<Fq12> {
    let what = "vk_alphabeta_12";
    let halves = array(v, what, Some(2))?;
    let mut fq6 = Vec::with_capacity(2);
    for (i, h) in halves.iter().enumerate() {
        let c = array(h, &format!("{what}[{i}]"), Some(3))?;
        let e = |j: usize| parse_fq2(&c[j], &format!("{what}[{i}][{j}]"));
        fq6.push(ark_bn254::Fq6::new(e(0)?, e(1)?, e(2)?));
    }
    Ok(Fq12::new(fq6[0], fq6[1]))
}

/// A G1 point from [x, y, z] with z = "1" (affine) or z = "0" (identity).
fn parse_g1(v: &Value, what: &str) -> Result<G1Affine> {
    let a = array(v, what, Some(3))?;
    let x = parse_fq(&a[0], &format!("{what}[0]"))?;
    let y = parse_fq(&a[1], &format!("{what}[1]"))?;
    let z = parse_fq(&a[2], &format!("{what}[2]"))?;
    if z == Fq::from(0u64) {
        return Ok(G1Affine::identity());
    }
    if z != Fq::from(1u64) {
        return Err(bad(format!("{what}: z must be \"1\" or \"0\"")));
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(bad(format!("{what} is not on the curve")));
    }
    Ok(p)
}

/// A G2 point from [[x.c0, x.c1], [y.c0, y.c1], z] with z = ["1","0"] (affine) or ["0","0"].
fn parse_g2(v: &Value, what: &str) -> Result<G2Affine> {
    let a = array(v, what, Some(3))?;
    let x = parse_fq2(&a[0], &format!("{what}[0]"))?;
    let y = parse_fq2(&a[1], &format!("{what}[1]"))?;
    let z = parse_fq2(&a[2], &format!("{what}[2]"))?;
    if z == Fq2::from(0u64) {
        return Ok(G2Affine::identity());
    }
    if z != Fq2::from(1u64) {
        return Err(bad(format!("{what}: z must be [\"1\", \"0\"] or [\"0\", \"0\"]")));
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(bad(format!("{what} is not on the curve")));
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(format!("{what} is not in the prime-order subgroup")));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by snarkjs 0.7.6 `zkey export verificationkey` for a 3-public-signal circuit
    /// (power-8 ptau, one random phase-2 contribution).
    const VK_SMALL: &str = include_str!("testdata/vk_small.json");

    #[test]
    fn round_trips_snarkjs_output_byte_for_byte() {
        let vk = VerificationKey::from_json(VK_SMALL).expect("valid vk");
        assert_eq!(vk.n_public, 3);
        assert_eq!(vk.ic.len(), 4);
        assert_eq!(vk.gamma2, G2Affine::generator());
        // to_json recomputes vk_alphabeta_12 from alpha1 and beta2: this checks the pairing
        // and the Fq12 coefficient order against ffjavascript.
        assert_eq!(vk.to_json(), VK_SMALL);
    }

    #[test]
    fn writes_identity_like_ffjavascript() {
        let mut vk = VerificationKey::from_json(VK_SMALL).expect("valid vk");
        vk.ic[0] = G1Affine::identity();
        let json = vk.to_json();
        assert!(json.contains("\"IC\": [\n  [\n   \"0\",\n   \"1\",\n   \"0\"\n  ],"));
        assert_eq!(VerificationKey::from_json(&json).expect("re-read"), vk);
    }

    #[test]
    fn rejects_malformed_input() {
        let cases: Vec<String> = vec![
            String::new(),
            "[]".into(),
            "{".into(),
            VK_SMALL.replace("\"groth16\"", "\"plonk\""),
            VK_SMALL.replace("\"bn128\"", "\"bls12381\""),
            VK_SMALL.replace("\"nPublic\": 3", "\"nPublic\": 2"),
            VK_SMALL.replace("\"nPublic\": 3", "\"nPublic\": -1"),
            VK_SMALL.replace("\"nPublic\": 3", "\"nPublic\": \"3\""),
            VK_SMALL.replace("\"IC\"", "\"ic\""),
            // alpha1.x changed: off the curve.
            VK_SMALL.replacen(
                "7772347649523360833258797563875041248679047123341040624905307712134111175824",
                "7772347649523360833258797563875041248679047123341040624905307712134111175825",
                1,
            ),
            // Not reduced / not a number / wrong type.
            VK_SMALL.replacen(
                "7772347649523360833258797563875041248679047123341040624905307712134111175824",
                "99999999999999999999999999999999999999999999999999999999999999999999999999999",
                1,
            ),
            VK_SMALL.replacen(
                "7772347649523360833258797563875041248679047123341040624905307712134111175824",
                "0x12",
                1,
            ),
            VK_SMALL.replacen("7772347649523360833258797563875041248679047123341040624905307712134111175824", "-5", 1),
            VK_SMALL.replacen(
                "\"7772347649523360833258797563875041248679047123341040624905307712134111175824\"",
                "7",
                1,
            ),
            // alphabeta tampered.
            VK_SMALL.replacen(
                "15901147173696372725162332739948221807666523909226173292837213788915819619646",
                "15901147173696372725162332739948221807666523909226173292837213788915819619647",
                1,
            ),
            // A wrong projective z.
            VK_SMALL.replacen("\"1\"\n ],\n \"vk_beta_2\"", "\"2\"\n ],\n \"vk_beta_2\"", 1),
        ];
        for (i, c) in cases.iter().enumerate() {
            assert_ne!(c, VK_SMALL, "case {i} did not change the input");
            assert!(VerificationKey::from_json(c).is_err(), "case {i} was accepted");
        }
    }
}

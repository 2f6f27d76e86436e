//! One differential test per target of targets.toml with the
//! `differential` check, so that adding a preset there adds its test here.

fn main() {
    println!("cargo:rerun-if-changed=../targets.toml");
    let mut tests = String::new();
    for t in tidekv_defs::targets::with_check(tidekv_defs::targets::Check::Differential) {
        tests += &format!(
            "#[test]\nfn {}() {{\n    suite({:?});\n}}\n\n",
            t.name.replace('-', "_"),
            t.name
        );
    }
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR"))
        .join("differential_tests.rs");
    std::fs::write(out, tests).expect("write the generated tests");
}

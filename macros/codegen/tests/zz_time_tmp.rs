#[test]
fn time_expand() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/lockstep-bench-compile/machine-lockstep/src/lib.rs")).unwrap();
    let file = syn::parse_file(&src).unwrap();
    for item in file.items {
        if let syn::Item::Enum(e) = item {
            if e.attrs.iter().any(|a| quote::ToTokens::to_token_stream(a).to_string().contains("Machine")) {
                let ts = quote::ToTokens::to_token_stream(&e);
                for _ in 0..3 {
                    let t = std::time::Instant::now();
                    let out = lockstep_codegen::expand_machine(ts.clone());
                    let n = out.into_iter().count();
                    println!("expand {:?} top-level trees {n}", t.elapsed());
                }
            }
        }
    }
}

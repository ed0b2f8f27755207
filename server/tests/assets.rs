//! The shell's files as browsers get them.

mod common;

use common::*;
use std::io::Read;

#[tokio::test]
async fn the_wasm_is_served_precompressed_with_brotli_to_browsers_that_accept_it() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    let wasm: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
    std::fs::write(site.path().join("pkg/faraday.wasm"), &wasm).unwrap();
    let root = site.path().to_str().unwrap().to_owned();
    let server = TestServer::start_with(|s| s.leptos_options.site_root = root.into()).await;
    let get = |encoding: &'static str| {
        server.http.get(server.url("/pkg/faraday.wasm")).header("accept-encoding", encoding).send()
    };
    let mut compressed = None;
    for _ in 0..100 {
        let res = get("gzip, deflate, br").await.unwrap();
        if res.headers().get("content-encoding").is_some_and(|e| e == "br") {
            assert_eq!(res.headers()["content-type"], "application/wasm");
            compressed = Some(res.bytes().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let compressed = compressed.expect("the brotli copy is ready within 10 s");
    assert!(compressed.len() < wasm.len() / 4);
    let mut decoded = vec![];
    brotli::Decompressor::new(&compressed[..], 4096).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, wasm);

    let plain = get("identity").await.unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().len(), wasm.len());
}

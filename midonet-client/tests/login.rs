//! The client against a gateway that checks credentials: `connect_as` logs in, every request
//! carries the token, and when the gateway forgets it (a restart) the client logs in again
//! instead of failing; wrong credentials are a 401 error.

use std::net::SocketAddr;
use std::sync::Arc;

use api_gateway::auth::credentials::{hash_password, Credentials};
use api_gateway::auth::Access;
use api_gateway::store::Store;
use api_gateway::{ServeOptions, StoreConfig};
use midonet_client::{ClientError, MidonetClient};
use topology::Router;
use uuid::Uuid;

/// Serves `store` with `credentials` on `listen` until the sender is dropped.
async fn serve(
    store: Arc<Store>,
    credentials: Arc<Credentials>,
    listen: SocketAddr,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let options = ServeOptions {
        access: Access::Checked(credentials),
        tls: None,
    };
    tokio::spawn(async move {
        let served = api_gateway::serve_with(
            store,
            options,
            listen,
            |addr| {
                let _ = addr_tx.send(addr);
            },
            async {
                let _ = stopped.await;
            },
        );
        if let Err(e) = served.await {
            eprintln!("gateway: {e:#}");
        }
    });
    (addr_rx.await.expect("bound"), stop)
}

#[tokio::test]
async fn a_logged_in_client_logs_in_again_when_the_gateway_forgets_its_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("credentials.toml");
    let hash = hash_password("pw").expect("hash");
    std::fs::write(
        &path,
        format!("[[users]]\nname = \"translator\"\npassword = \"{hash}\"\nrole = \"admin\"\n"),
    )
    .expect("write");
    let credentials = Arc::new(Credentials::load(&path).expect("credentials"));
    let store = api_gateway::open_store(&StoreConfig::Embedded {
        dir: dir.path().join("store"),
    })
    .await
    .expect("store");
    let (addr, stop) = serve(
        store.clone(),
        credentials.clone(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    let url = format!("http://{addr}/midonet-api");

    let refused = MidonetClient::connect_as(&url, "translator", "wrong")
        .await
        .expect_err("wrong password");
    assert!(
        matches!(refused, ClientError::Api { status: 401, .. }),
        "{refused}"
    );
    let anonymous = MidonetClient::connect(&url).await.expect_err("no token");
    assert!(
        matches!(anonymous, ClientError::Api { status: 401, .. }),
        "{anonymous}"
    );

    let client = MidonetClient::connect_as(&url, "translator", "pw")
        .await
        .expect("logged in");
    let made = client
        .create_router(&Router::named(Uuid::new_v4(), "r1", "t"))
        .await
        .expect("create with the token");

    // A new gateway process on the same address knows no tokens.
    drop(stop);
    let (_, _stop) = loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break serve(store.clone(), credentials.clone(), addr).await;
        }
    };
    let routers = client
        .routers()
        .await
        .expect("listed after logging in again");
    assert_eq!(
        routers.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![made.id]
    );
}

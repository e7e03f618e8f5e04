//! `tagc catalog info|import|update`.

use super::Outcome;
use crate::catalog::{Catalog, manage};
use crate::cli::CatalogCommand;
use crate::diagnostics::Diagnostics;

/// Run a `tagc catalog` subcommand.
pub fn run(cmd: CatalogCommand) -> Outcome {
    let result = match cmd {
        CatalogCommand::Info { catalog } => {
            let loaded = match catalog {
                Some(path) => Catalog::load(&path),
                None => Ok(Catalog::builtin().clone()),
            };
            loaded.map(|c| print!("{}", manage::info(&c)))
        }
        CatalogCommand::Import { dir, out } => manage::import(&dir, &out).map(|c| {
            eprintln!(
                "wrote {} ({} services, {} actions, AWS data of {})",
                out.display(),
                c.services.len(),
                c.action_count(),
                c.date
            );
        }),
        CatalogCommand::Update { url } => update(&url),
    };
    match result {
        Ok(()) => Outcome::Success,
        Err(e) => {
            let mut d = Diagnostics::new();
            d.push(e);
            eprint!("{}", d.render_human(false));
            Outcome::Failure
        }
    }
}

#[cfg(feature = "online")]
fn update(url: &str) -> Result<(), crate::catalog::CatalogError> {
    let dir = manage::default_cache_dir()?;
    let path = manage::update(url, &dir)?;
    eprintln!(
        "downloaded AWS's service reference to {}; use it with `--catalog {}`",
        path.display(),
        path.display()
    );
    Ok(())
}

#[cfg(not(feature = "online"))]
fn update(url: &str) -> Result<(), crate::catalog::CatalogError> {
    Err(crate::catalog::CatalogError::Offline {
        url: url.to_owned(),
        reason: "this tagc was built without the `online` feature".into(),
    })
}

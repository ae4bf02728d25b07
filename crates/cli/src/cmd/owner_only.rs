//! Files and folders that only their owner may open: keys, key-encryption keys, configuration,
//! passwords and the folders that hold them. The mode is set as each is created, so there is
//! no moment at which another user could open it under the process's umask.

use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Creates `dir` and any missing parents as 0700 (folders that already exist keep their mode).
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Writes `bytes` to `path` as a 0600 file; a file already there is narrowed to 0600 first.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// Proves new folders are 0700 and files 0600, and that a file written over is narrowed.
    #[test]
    fn folders_and_files_are_the_owners_alone() {
        let top =
            std::env::temp_dir().join(format!("owner-only-{}", unipay_core::ids::random_token(10)));
        let dir = top.join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&top), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("key");
        write_private(&file, b"one").unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"two").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let _ = std::fs::remove_dir_all(top);
    }
}

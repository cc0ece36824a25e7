//! [`loaded_once`]: a model made once for as long as anything holds it. Every profile and every
//! reload reads the same model files (each megabytes), and each would otherwise hold its own
//! copy.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

type Held = Weak<dyn Any + Send + Sync>;

/// The `T` that `make` reads, shared with every caller that asks for the same `key` while one
/// of them still holds it. `key` must name the bytes exactly (the SHA-256 of a file's bytes):
/// the checksum a model file ends with would not do, since a damaged file can keep it and must
/// still be refused.
pub(crate) fn loaded_once<T: Send + Sync + 'static, E>(
    key: String,
    make: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<T>, E> {
    static LOADED: LazyLock<Mutex<HashMap<(TypeId, String), Held>>> = LazyLock::new(Mutex::default);
    let key = (TypeId::of::<T>(), key);
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(held) = loaded.get(&key).and_then(Weak::upgrade)
        && let Ok(model) = held.downcast::<T>()
    {
        return Ok(model);
    }
    let model = Arc::new(make()?);
    loaded.retain(|_, held| held.strong_count() > 0);
    let held: Arc<dyn Any + Send + Sync> = model.clone();
    loaded.insert(key, Arc::downgrade(&held));
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_shares_while_held_and_types_never_mix() {
        let a = loaded_once::<u32, ()>("k".into(), || Ok(1)).unwrap();
        let b = loaded_once::<u32, ()>("k".into(), || Ok(2)).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = loaded_once::<u64, ()>("k".into(), || Ok(3)).unwrap();
        assert_eq!(*c, 3);
        drop((a, b));
        assert_eq!(*loaded_once::<u32, ()>("k".into(), || Ok(4)).unwrap(), 4);
        assert!(loaded_once::<u32, &str>("e".into(), || Err("bad")).is_err());
    }
}

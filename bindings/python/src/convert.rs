//! Python values into core arguments and JSON values back into Python.
//!
//! Only translation: a value that the core's types cannot hold (a negative TTL, a float for a
//! time, a naive datetime) is refused here with `InvalidArgument` or `TypeError`; everything a
//! core type can hold is passed on for the core to judge.

use std::ops::Deref;
use std::time::SystemTime;
use zeroize::Zeroizing;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple,
};
use serde_json::{Map, Number, Value};

use crate::errors::invalid_argument;

/// Text handed to the core: every Python `str` that enters the core goes through here, borrowed
/// as UTF-8 (which the stable ABI exposes from 3.10 on). A `str` with a lone surrogate has no
/// UTF-8 form: it is refused as `InvalidArgument`, never converted lossily (U+FFFD for every
/// surrogate would make `"\ud800"` and `"\udfff"` the same key, the same `jti`). Anything but a
/// `str` is a `TypeError`.
pub(crate) fn text_arg<'a>(obj: &'a Bound<'_, PyAny>, name: &str) -> PyResult<&'a str> {
    match obj.cast::<PyString>() {
        Ok(s) => s.to_str().map_err(|_| not_unicode(obj.py(), name)),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a str, not {}",
            type_name(obj)
        ))),
    }
}

/// [`text_arg`], owned.
pub(crate) fn text_owned(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    text_arg(obj, name).map(str::to_owned)
}

fn not_unicode(py: Python<'_>, name: &str) -> PyErr {
    invalid_argument(
        py,
        format!("{name} is not valid Unicode text (it contains a lone surrogate)"),
    )
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// Header bytes: HTTP header values are bytes; a `str` is taken as its UTF-8 encoding (lone
/// surrogates kept as `surrogatepass` bytes, which are not token68 and so malformed there).
pub(crate) enum HeaderArg {
    Empty,
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
    Owned(Vec<u8>),
}

impl Deref for HeaderArg {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            HeaderArg::Empty => &[],
            HeaderArg::Str(s) => s.as_bytes(),
            HeaderArg::Bytes(b) => b,
            HeaderArg::Owned(v) => v,
        }
    }
}

pub(crate) fn header_bytes(obj: Option<&Bound<'_, PyAny>>) -> PyResult<HeaderArg> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(HeaderArg::Empty);
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(match s.extract::<PyBackedStr>() {
            Ok(b) => HeaderArg::Str(b),
            Err(_) => {
                let raw = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
                HeaderArg::Owned(raw.cast::<PyBytes>()?.as_bytes().to_vec())
            }
        });
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(HeaderArg::Bytes(b.extract()?));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(HeaderArg::Owned(b.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "the Authorization value must be str, bytes or None, not {}",
        type_name(obj)
    )))
}

/// An HMAC secret: a `str` (its UTF-8 bytes, as Django uses `SECRET_KEY`) or `bytes`.
/// The secret's bytes, for the moment the core takes to build its HMAC state; the copy is
/// wiped when dropped, so the binding keeps no secret beyond the core's.
pub(crate) fn secret_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Zeroizing<Vec<u8>>> {
    if obj.is_instance_of::<PyString>() {
        return Ok(Zeroizing::new(
            text_arg(obj, "the secret")?.as_bytes().to_vec(),
        ));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Zeroizing::new(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Zeroizing::new(b.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "a secret must be str or bytes, not {}",
        type_name(obj)
    )))
}

fn int_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, not {}",
            type_name(obj)
        )));
    }
    obj.extract::<i64>()
        .map_err(|_| invalid_argument(py, format!("{name} is out of range")))
}

/// A non-negative count that fits the core's `u32`.
pub(crate) fn u32_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u32> {
    let n = int_arg(py, obj, name)?;
    u32::try_from(n)
        .map_err(|_| invalid_argument(py, format!("{name} must be between 0 and {}", u32::MAX)))
}

struct Clock {
    datetime: Py<PyAny>,
    epoch: Py<PyAny>,
    second: Py<PyAny>,
}

static CLOCK: PyOnceLock<Clock> = PyOnceLock::new();

fn clock(py: Python<'_>) -> PyResult<&Clock> {
    CLOCK.get_or_try_init(py, || {
        let dt = py.import("datetime")?;
        let datetime = dt.getattr("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
        let second = dt.getattr("timedelta")?.call1((0, 1))?;
        Ok::<_, PyErr>(Clock {
            datetime: datetime.unbind(),
            epoch: epoch.unbind(),
            second: second.unbind(),
        })
    })
}

/// `now`: `None` (the system clock, read here), an `int` of seconds since the epoch, or an
/// aware `datetime` (floored to the second). A naive datetime is refused: its zone is unknown.
pub(crate) fn resolve_now(py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
    let Some(now) = now.filter(|n| !n.is_none()) else {
        return Ok(ls_auth_core::unix_time(SystemTime::now()));
    };
    if now.is_instance_of::<PyInt>() && !now.is_instance_of::<PyBool>() {
        return now
            .extract::<i64>()
            .map_err(|_| invalid_argument(py, "now is out of range"));
    }
    let clock = clock(py)?;
    if now.is_instance(clock.datetime.bind(py))? {
        if now.call_method0("utcoffset")?.is_none() {
            return Err(invalid_argument(
                py,
                "now is a naive datetime; pass an aware one (tzinfo set) or an int timestamp",
            ));
        }
        let seconds = now
            .sub(clock.epoch.bind(py))?
            .floor_div(clock.second.bind(py))?;
        return seconds
            .extract::<i64>()
            .map_err(|_| invalid_argument(py, "now is out of range"));
    }
    Err(PyTypeError::new_err(format!(
        "now must be None, an int timestamp or an aware datetime, not {}",
        type_name(now)
    )))
}

/// `user_id` as the core's string: a `str`, or an `int` in decimal (Django's ids are ints).
pub(crate) fn user_id_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() {
        return text_owned(obj, "user_id");
    }
    if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        return text_owned(&obj.str()?.into_any(), "user_id");
    }
    Err(PyTypeError::new_err(format!(
        "user_id must be a str or an int, not {}",
        type_name(obj)
    )))
}

/// A bound on this conversion's recursion only, above the nesting the core accepts (serde_json's
/// 127 levels, counting the payload): what is minted is the core's decision, the same as C's.
const MAX_DEPTH: usize = 256;

/// Extra claims: a mapping from `str` to JSON-representable values, in its iteration order.
pub(crate) fn py_to_claims_map(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
) -> PyResult<Map<String, Value>> {
    match to_json(py, obj, 0)? {
        Value::Object(map) => Ok(map),
        _ => Err(PyTypeError::new_err(format!(
            "claims must be a mapping of str to JSON values, not {}",
            type_name(obj)
        ))),
    }
}

fn to_json(py: Python<'_>, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid_argument(py, "claims are nested too deeply"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = obj.extract::<u64>() {
            return Ok(Value::from(n));
        }
        return Err(invalid_argument(
            py,
            "an integer claim is out of the 64-bit range",
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| invalid_argument(py, "a float claim is not finite"));
    }
    if obj.is_instance_of::<PyString>() {
        return text_owned(obj, "a claim").map(Value::String);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(to_json(py, &item?, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    let items = if let Ok(d) = obj.cast::<PyDict>() {
        d.items().into_any()
    } else if let Ok(m) = obj.cast::<PyMapping>() {
        m.items()?.into_any()
    } else {
        return Err(PyTypeError::new_err(format!(
            "claim values must be None, bool, int, float, str, list, tuple or dict, not {}",
            type_name(obj)
        )));
    };
    let mut map = Map::new();
    for pair in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
        let key = match k.is_instance_of::<PyString>() {
            true => text_owned(&k, "a claim name")?,
            false => {
                return Err(PyTypeError::new_err(format!(
                    "claim names must be str, not {}",
                    type_name(&k)
                )))
            }
        };
        let value = to_json(py, &v, depth + 1)?;
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

/// A JSON value from a verified token as the Python value `json.loads` would give.
pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

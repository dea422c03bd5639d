//! Customer id columns: type check and coding of the ids of all batches
//! into one [`CustomerIndex`].

use crate::customers::CustomerIndex;
use crate::error::CiblageError;
use arrow_array::cast::AsArray;
use arrow_array::types::ArrowDictionaryKeyType;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray, RecordBatch};
use arrow_schema::DataType;

use super::buffers;
use super::columns::{all_null, first_null, null_error, type_error};
use crate::error::Result;

const ID_TYPES: &str = "integers, strings or a dictionary (categorical) of strings";

/// Checks the id column's type before any work.
pub fn check_id_type(argument: &str, column: &str, dt: &DataType) -> Result<()> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View => Ok(()),
        DataType::Dictionary(_, values) => check_id_type(argument, column, values)
            .map_err(|_| type_error(argument, column, dt, ID_TYPES)),
        DataType::Null => Err(all_null(argument, column)),
        _ => Err(type_error(argument, column, dt, ID_TYPES)),
    }
}

/// Factorises the customer column `col` of all batches: the index (named
/// "customer") and one code per row.
pub fn customer_codes(
    batches: &[RecordBatch],
    col: usize,
    column: &str,
) -> Result<(CustomerIndex, Vec<u32>)> {
    let total = batches.iter().map(RecordBatch::num_rows).sum();
    let mut index = CustomerIndex::named("customer");
    let mut codes = buffers::take_codes(total);
    if let Err(e) = encode_all_ids(&mut index, batches, col, "customer", column, &mut codes) {
        buffers::give_codes(codes);
        return Err(e);
    }
    // Every id is coded: the hash table is no longer needed.
    index.release_lookup();
    Ok((index, codes))
}

/// Encodes the id column of every batch, appending all codes in row order.
/// Integer ids of all batches are encoded at once (on all threads when they
/// are dense); other kinds batch by batch.
pub fn encode_all_ids(
    index: &mut CustomerIndex,
    batches: &[RecordBatch],
    col: usize,
    argument: &str,
    column: &str,
    out: &mut Vec<u32>,
) -> Result<()> {
    let all_int64 = batches
        .iter()
        .all(|b| b.column(col).data_type() == &DataType::Int64 && b.column(col).null_count() == 0);
    if all_int64 {
        let slices: Vec<&[i64]> = batches
            .iter()
            .map(|b| &b.column(col).as_primitive::<Int64Type>().values()[..])
            .collect();
        index.encode_i64_all(&slices, out)?;
        return Ok(());
    }
    if encode_all_strings(index, batches, col, out)? {
        return Ok(());
    }
    let mut row0 = 0;
    for batch in batches {
        encode_ids(
            index,
            batch.column(col).as_ref(),
            argument,
            column,
            row0,
            out,
        )?;
        row0 += batch.num_rows();
    }
    Ok(())
}

/// Encodes string ids of all batches at once (rounds of the parallel path
/// then span batches) when every batch holds strings of one type without
/// nulls; false (nothing done) otherwise.
fn encode_all_strings(
    index: &mut CustomerIndex,
    batches: &[RecordBatch],
    col: usize,
    out: &mut Vec<u32>,
) -> Result<bool> {
    let Some(first) = batches.first() else {
        return Ok(false);
    };
    let kind = first.column(col).data_type().clone();
    let same = batches
        .iter()
        .all(|b| b.column(col).data_type() == &kind && b.column(col).null_count() == 0);
    if !same {
        return Ok(false);
    }
    let lens: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
    match kind {
        DataType::Utf8 => {
            let a: Vec<_> = batches
                .iter()
                .map(|b| b.column(col).as_string::<i32>())
                .collect();
            index.encode_str_pieces(&lens, |p, i| a[p].value(i), out)?;
        }
        DataType::LargeUtf8 => {
            let a: Vec<_> = batches
                .iter()
                .map(|b| b.column(col).as_string::<i64>())
                .collect();
            index.encode_str_pieces(&lens, |p, i| a[p].value(i), out)?;
        }
        DataType::Utf8View => {
            let a: Vec<_> = batches
                .iter()
                .map(|b| b.column(col).as_string_view())
                .collect();
            index.encode_str_pieces(&lens, |p, i| a[p].value(i), out)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Encodes the ids of one batch column into `out`; `row0` numbers rows in messages.
pub fn encode_ids(
    index: &mut CustomerIndex,
    array: &dyn Array,
    argument: &str,
    column: &str,
    row0: usize,
    out: &mut Vec<u32>,
) -> Result<()> {
    if let Some(i) = first_null(array) {
        return Err(null_error(argument, column, row0 + i));
    }
    let dt = array.data_type();
    match dt {
        DataType::Int64 => index.encode_i64(array.as_primitive::<Int64Type>().values(), out)?,
        DataType::Int32 => encode_ints(index, array.as_primitive::<Int32Type>(), out)?,
        DataType::Int16 => encode_ints(index, array.as_primitive::<Int16Type>(), out)?,
        DataType::Int8 => encode_ints(index, array.as_primitive::<Int8Type>(), out)?,
        DataType::UInt32 => encode_ints(index, array.as_primitive::<UInt32Type>(), out)?,
        DataType::UInt16 => encode_ints(index, array.as_primitive::<UInt16Type>(), out)?,
        DataType::UInt8 => encode_ints(index, array.as_primitive::<UInt8Type>(), out)?,
        DataType::UInt64 => {
            let values = array.as_primitive::<UInt64Type>().values();
            let ids = values
                .iter()
                .map(|&v| i64::try_from(v))
                .collect::<Result<Vec<i64>, _>>()
                .map_err(|_| type_error(argument, column, dt, "integers up to 2^63 - 1"))?;
            index.encode_i64(&ids, out)?;
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            index.encode_str_indexed(a.len(), |i| a.value(i), out)?;
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            index.encode_str_indexed(a.len(), |i| a.value(i), out)?;
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            index.encode_str_indexed(a.len(), |i| a.value(i), out)?;
        }
        DataType::Dictionary(_, _) => {
            let values = array.as_any_dictionary().values();
            // Encode each dictionary value the first time a row uses it, so
            // that unused categories do not become customers. The keys are
            // read in place (no copy of a key a row).
            let mut value_codes = vec![u32::MAX; values.len()];
            let mut one = Vec::with_capacity(1);
            out.reserve(array.len());
            each_key(array, |key| {
                let Some(&code) = value_codes.get(key) else {
                    return Err(type_error(
                        argument,
                        column,
                        dt,
                        "dictionary keys within the values",
                    ));
                };
                if code != u32::MAX {
                    out.push(code);
                    return Ok(());
                }
                one.clear();
                let v = values.slice(key, 1);
                encode_ids(index, v.as_ref(), argument, column, row0, &mut one)?;
                value_codes[key] = one[0];
                out.push(one[0]);
                Ok(())
            })?;
        }
        _ => return Err(type_error(argument, column, dt, ID_TYPES)),
    }
    Ok(())
}

fn encode_ints<T: ArrowPrimitiveType>(
    index: &mut CustomerIndex,
    a: &PrimitiveArray<T>,
    out: &mut Vec<u32>,
) -> Result<(), CiblageError>
where
    T::Native: Into<i64>,
{
    let ids: Vec<i64> = a.values().iter().map(|&v| v.into()).collect();
    index.encode_i64(&ids, out)
}

/// Calls `f` with the key of every row of a dictionary array, in row order,
/// read in place; a negative key is given as `usize::MAX`.
fn each_key(array: &dyn Array, mut f: impl FnMut(usize) -> Result<()>) -> Result<()> {
    fn keys_of<K: ArrowDictionaryKeyType>(
        array: &dyn Array,
        f: &mut dyn FnMut(usize) -> Result<()>,
    ) -> Option<Result<()>>
    where
        K::Native: TryInto<usize>,
    {
        let dict = array.as_dictionary_opt::<K>()?;
        Some(
            dict.keys()
                .values()
                .iter()
                .try_for_each(|&k| f(k.try_into().unwrap_or(usize::MAX))),
        )
    }
    let f: &mut dyn FnMut(usize) -> Result<()> = &mut f;
    keys_of::<Int8Type>(array, f)
        .or_else(|| keys_of::<Int16Type>(array, f))
        .or_else(|| keys_of::<Int32Type>(array, f))
        .or_else(|| keys_of::<Int64Type>(array, f))
        .or_else(|| keys_of::<UInt8Type>(array, f))
        .or_else(|| keys_of::<UInt16Type>(array, f))
        .or_else(|| keys_of::<UInt32Type>(array, f))
        .or_else(|| keys_of::<UInt64Type>(array, f))
        .unwrap_or(Ok(()))
}

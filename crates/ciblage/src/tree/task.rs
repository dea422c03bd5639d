//! The task of a tree, picked once by its constructor
//! (`Cart::classifier()`, `Chaid::regressor()`, ...) and carried by the
//! parameter types: a classifier's `fit` takes class codes, a regressor's
//! takes values, checked by the compiler.

use std::fmt::Debug;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Classification {}
    impl Sealed for super::Regression {}
    impl Sealed for super::AnyTask {}
}

/// A tree task: [`Classification`], [`Regression`], or [`AnyTask`] for
/// parameters read back from a saved model.
pub trait TreeTask:
    sealed::Sealed + Debug + Clone + Copy + PartialEq + Default + Send + Sync
{
    /// Whether the task is regression (`None` for [`AnyTask`]).
    const REGRESSION: Option<bool>;
    /// The task's name in messages.
    const NAME: &'static str;
}

/// Classification: the target is a class code per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Classification;

/// Regression: the target is a number per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Regression;

/// Either task: parameters as a fitted model records them. They validate
/// (a model file's parameters are checked at load) but fit nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AnyTask;

impl TreeTask for Classification {
    const REGRESSION: Option<bool> = Some(false);
    const NAME: &'static str = "classifier";
}

impl TreeTask for Regression {
    const REGRESSION: Option<bool> = Some(true);
    const NAME: &'static str = "regressor";
}

impl TreeTask for AnyTask {
    const REGRESSION: Option<bool> = None;
    const NAME: &'static str = "tree";
}

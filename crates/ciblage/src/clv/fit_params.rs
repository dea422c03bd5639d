//! The fitting parameters every maximum-likelihood CLV model shares (an L2
//! penalty, an iteration limit, an interrupt token), and their builder,
//! written once for all of them by [`clv_fit_params!`].

/// Declares, for a CLV model `$model` fitted on inputs `$input` into a
/// `$fitted`: `$model::params()`, the validated parameters `$valid`
/// (`penalizer` 0, `max_iterations` 1000, an interrupt token) and their
/// builder `$params` with the setters, `check` and the `fit` shortcut.
/// `$what` names the model in the docs; `$penalty` documents the penalty.
macro_rules! clv_fit_params {
    ($model:ident, $params:ident, $valid:ident, $input:path, $fitted:ident, $what:literal, $penalty:literal) => {
        impl $model {
            /// Parameters with their defaults: no penalty, at most 1000 iterations.
            pub fn params() -> $params {
                $params($valid::default())
            }
        }

        #[doc = concat!("Validated ", $what, " fitting parameters.")]
        #[derive(Debug, Clone)]
        pub struct $valid {
            penalizer: f64,
            max_iterations: usize,
            interrupt: $crate::interrupt::Interrupt,
        }

        impl Default for $valid {
            fn default() -> Self {
                Self {
                    penalizer: 0.0,
                    max_iterations: 1000,
                    interrupt: $crate::interrupt::Interrupt::default(),
                }
            }
        }

        #[doc = concat!("Builder of [`", stringify!($valid), "`].")]
        #[derive(Debug, Clone, Default)]
        pub struct $params($valid);

        impl $params {
            #[doc = $penalty]
            #[must_use]
            pub fn penalizer(mut self, coefficient: f64) -> Self {
                self.0.penalizer = coefficient;
                self
            }
            /// Most L-BFGS iterations (default 1000).
            #[must_use]
            pub fn max_iterations(mut self, n: usize) -> Self {
                self.0.max_iterations = n;
                self
            }
            /// Token that stops the fit ([`crate::CiblageError::Interrupted`]).
            #[must_use]
            pub fn interrupt(mut self, token: $crate::interrupt::Interrupt) -> Self {
                self.0.interrupt = token;
                self
            }
            /// Validates the parameters.
            ///
            /// # Errors
            /// A negative or non-finite penalizer, zero iterations.
            pub fn check(self) -> $crate::error::Result<$valid> {
                $crate::clv::model::check_fit_params(self.0.penalizer, self.0.max_iterations)?;
                Ok(self.0)
            }
            /// Validates, then fits.
            ///
            /// # Errors
            #[doc = concat!("See [`", stringify!($params), "::check`] and [`", stringify!($valid), "::fit`].")]
            pub fn fit<D: $input + ?Sized>(self, data: &D) -> $crate::error::Result<$fitted> {
                self.check()?.fit(data)
            }
        }
    };
}

pub(crate) use clv_fit_params;

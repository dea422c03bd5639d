//! The choices of a value table: how CLV is discounted, which purchase
//! model is fitted, and the fitted model of any kind.

use std::str::FromStr;

use crate::clv::gamma_gamma::PurchaseModel;
use crate::clv::{BgNbdModel, MbgNbdModel, ParetoNbdModel};
use crate::error::{CiblageError, Result};

/// How the CLV of a horizon is discounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Discounting {
    /// Monthly steps, as `lifetimes`' `customer_lifetime_value`: each
    /// month's expected purchases divided by `(1 + rate)^month`.
    #[default]
    Monthly,
    /// Continuously (DERT, as CLVTools): purchases at time `t` weighted by
    /// `e^{-δt}`, `δ = ln(1 + rate)` per month, so that whole months are
    /// discounted as in [`Discounting::Monthly`].
    Continuous,
}

impl FromStr for Discounting {
    type Err = CiblageError;
    /// `"monthly"` or `"continuous"`; the error names `discounting`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "monthly" => Ok(Self::Monthly),
            "continuous" => Ok(Self::Continuous),
            _ => Err(CiblageError::param(
                "discounting",
                format!("expected one of monthly, continuous, got {s:?}"),
            )),
        }
    }
}

/// The purchase model of a value table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PurchaseModelKind {
    /// BG/NBD (`"bgnbd"`), the default.
    #[default]
    BgNbd,
    /// Pareto/NBD (`"paretonbd"`).
    ParetoNbd,
    /// MBG/NBD (`"mbgnbd"`).
    MbgNbd,
}

impl FromStr for PurchaseModelKind {
    type Err = CiblageError;
    /// `"bgnbd"`, `"paretonbd"` or `"mbgnbd"`; the error names `model`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bgnbd" => Ok(Self::BgNbd),
            "paretonbd" => Ok(Self::ParetoNbd),
            "mbgnbd" => Ok(Self::MbgNbd),
            _ => Err(CiblageError::param(
                "model",
                format!("expected one of bgnbd, paretonbd, mbgnbd, got {s:?}"),
            )),
        }
    }
}

/// A fitted purchase model of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum FittedPurchaseModel {
    /// A BG/NBD model.
    BgNbd(BgNbdModel),
    /// A Pareto/NBD model.
    ParetoNbd(ParetoNbdModel),
    /// An MBG/NBD model.
    MbgNbd(MbgNbdModel),
}

impl FittedPurchaseModel {
    /// P(alive) of one history at its end.
    pub fn p_alive_one(&self, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Self::BgNbd(m) => m.p_alive_one(x, t_x, t),
            Self::ParetoNbd(m) => m.p_alive_one(x, t_x, t),
            Self::MbgNbd(m) => m.p_alive_one(x, t_x, t),
        }
    }
}

impl PurchaseModel for FittedPurchaseModel {
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Self::BgNbd(m) => m.expected_purchases_one(horizon, x, t_x, t),
            Self::ParetoNbd(m) => m.expected_purchases_one(horizon, x, t_x, t),
            Self::MbgNbd(m) => m.expected_purchases_one(horizon, x, t_x, t),
        }
    }
    fn dert_one(&self, delta: f64, horizon: Option<f64>, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Self::BgNbd(m) => PurchaseModel::dert_one(m, delta, horizon, x, t_x, t),
            Self::ParetoNbd(m) => m.dert_one(delta, horizon, x, t_x, t),
            Self::MbgNbd(m) => PurchaseModel::dert_one(m, delta, horizon, x, t_x, t),
        }
    }
}

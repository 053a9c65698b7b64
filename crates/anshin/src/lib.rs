//! Anshin: a secure cashless payment platform. One folder per bounded context; HTTP handlers
//! stay thin and call into the contexts. See docs/ARCHITECTURE.md.

pub mod audit;
pub mod bank;
pub mod bench;
pub mod cards;
pub mod cli;
pub mod cli_qr;
pub mod config;
pub mod demo;
pub mod edge;
pub mod faults;
pub mod funding;
pub mod http;
pub mod i18n;
pub mod identity;
pub mod keys;
pub mod ledger;
pub mod merchants;
pub mod notify;
pub mod payments;
pub mod reports;
pub mod risk;
pub mod server;
pub mod settlement;
pub mod sim;
pub mod storage;
pub mod telemetry;
pub mod transfers;
pub mod wallets;
pub mod withdrawals;

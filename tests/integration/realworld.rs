//! The real-world corpus (`tests/realworld/`): published architectures
//! written in the spec language by someone who had not modelled them before,
//! each with its source, the risks an architect listed before running
//! wireplan, and a judgement of every finding (`expected.json`). This test
//! holds wireplan to those judgements: a spec error, or a warning that
//! appears or vanishes, fails it; and it measures precision (warnings judged
//! true over all warnings) and recall (listed risks a finding covers) over
//! the corpus, failing when either falls below what was measured. Each
//! held-out set (architectures written after the checks were tuned, with
//! their risks committed before wireplan was run on them) is reported and
//! held to its own floors as well.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::{root, stderr, wireplan};

/// The corpus must keep at least this many folders (issue 25 asks eight;
/// ten were written first, three more after the fixes).
const MIN_FOLDERS: usize = 13;

/// The architectures written after the fixes of issue 25, with their risks
/// listed before wireplan was run on them: the checks were not tuned on
/// them, so their numbers are printed apart from the rest. (One decision
/// came after them: `no-logging` became an info once it was wrong on the
/// Step Functions saga's execution history as on Zapier's and n8n's.)
const HELD_OUT: &[&str] = &["ftgo-create-order-saga", "hubspot-round-robin-n8n", "stepfunctions-travel-saga"];

/// Floors measured on the corpus as committed: 66 true of 69 warnings, and 50
/// of 53 risks covered. A fix that makes a false finding vanish moves the
/// numbers up (and fails the exact-findings check until `expected.json` says
/// so); a regression moves them down and fails here.
const PRECISION_FLOOR: (usize, usize) = (66, 69);
const RECALL_FLOOR: (usize, usize) = (50, 53);

/// The sets measured on their own, named by the `set` field of their
/// `expected.json`: `held-out-2` holds ten architectures written after the
/// fixes of issue 25 by someone who had modelled none of the corpus, their
/// specs and risks committed before wireplan was run on them; `held-out-3`
/// holds seven more, written the same way from other kinds of stack (an
/// outbox with change data capture, a Temporal workflow, a MuleSoft
/// template, Google Cloud's serverless eventing, vendors' own connectors)
/// while the held-out-2 findings were being fixed, and judged on the code
/// with those fixes merged. The first test checks their findings like any
/// folder's but leaves them out of its totals; the test below holds each
/// set to its own floors. `held-out-4` holds five more of kinds the corpus
/// lacked (a Dapr sample on MQTT and RabbitMQ, AWS's serverless ecommerce
/// platform on EventBridge, Chargebee's HubSpot integration, Shopify to
/// Xero through Cloudify, Intercom to HubSpot through Interhubz), written
/// and judged the same way on the code of `4ce9362`. `held-out-5` holds five
/// more of kinds the corpus lacked (Square into QuickBooks through Intuit's
/// app, MassTransit's Twitch order saga, Zendesk's Jira integration,
/// Mailchimp's WooCommerce plugin, Segment into Snowflake with Hightouch
/// back to Salesforce), written and judged the same way on the code of
/// `8c59a2b`. `held-out-6` holds five more of kinds the corpus lacked
/// (Kafka Connect's JDBC source with S3 and JDBC sinks, NServiceBus's saga
/// tutorials, Business Central's own Shopify connector, AWS's outbox with
/// DynamoDB Streams and EventBridge Pipes, Celigo's Shopify - NetSuite
/// template), written the same way and judged on the final code of the
/// session that fixed precision5 (`19b8b5a`), with no check changed for it.
/// `held-out-7` holds five more of kinds the corpus lacked (Azure Health
/// Data Services FHIR events through Event Grid to a subscription processor
/// with rest-hook notifications, Adyen's webhooks stored and processed by a
/// cron job in SAP Commerce, Okta's BambooHR integration sourcing users from
/// HR, Google's Dataflow template from a Pub/Sub subscription to BigQuery,
/// Unito's two-way Asana and Jira flow), their specs and risks committed
/// before wireplan was run on them, and judged on the code of `fdee286` (the
/// final code of the session that fixed precision6 on held-out-6), with no
/// check changed for it. `held-out-8` holds five more (Recharge's own
/// Klaviyo integration, Dynamics 365 dual-write between Finance and
/// Dataverse, Debezium's MySQL capture with PostgreSQL and Elasticsearch
/// sinks, AxonIQ's event-sourced gift card demo, Fivetran's Stripe
/// connector into Snowflake with its dbt package), written and judged the
/// same way on the code of `6afbf43`. `held-out-9` holds five more (a
/// Spring Cloud Stream choreography saga on Kafka, Azure's Event Grid image
/// resize with Functions, A2X posting Shopify settlements to Xero, Cal.com's
/// HubSpot app, RudderStack's reverse ETL started by dbt Cloud webhooks),
/// written the same way and judged on the code of `f3960a8`. `held-out-10`
/// holds five more (Shopify Flow's risk and reorder automations, a Make
/// scenario from MindBody to HubSpot, Gusto's QuickBooks Online payroll
/// sync, Salesforce's E-Bikes manufacturing events, Meltano's own
/// Snowflake platform), judged on the code of `b7a801d` with
/// `overwritten-edits`. `held-out-11` holds five more (an agency's n8n
/// client lifecycle with Airtable and Notion, Freshworks' Freshsales and
/// Freshdesk sync, Xero's Stripe integration, Apache Camel's loan broker on
/// ActiveMQ, Airbyte's Zendesk to BigQuery quickstart with dbt and
/// Dagster), judged on the code of `55e7085`. `held-out-12` holds five
/// more (WooCommerce's Square extension, Jobber's QuickBooks Online sync,
/// Pipedrive's Xero app, Google's Cloud Workflows saga demo, Amazon AppFlow
/// from Salesforce to Redshift and S3), judged on the code of `6159fa4`.
/// `held-out-13` holds five more (Timely's Mailchimp add-on, ShopWired's
/// Make scenario into Zoho Books, ActiveCampaign's Acuity integration, a
/// Logic App on a Service Bus queue under peek-lock, Google Datastream from
/// MySQL into BigQuery), judged on the code of `7cb8fd6`. `held-out-14`
/// holds five more (ClickHouse's Kafka table engine, Orderful's EDI with a
/// retailer into NetSuite, Marketo's Salesforce sync, DocuSign Connect's
/// status into Salesforce, a Mirth Connect HL7 v2 interface to an EHR),
/// judged on the code of `e07b4f8`. `held-out-15` holds five more
/// (Snowpipe auto-ingest with a stream and a task's merge, a Pub/Sub push
/// subscription into Cloud Run, a Power Automate approval on a SharePoint
/// list, Fundraise Up's Bloomerang integration, HubSpot's Zoom webinar
/// app), judged on the code of `216fbce`. `held-out-16` holds five more
/// (Expensify's QuickBooks Online connector, Astronomer's Airflow ELT from
/// S3 into Snowflake, a Redis Streams consumer group, Canvas and
/// PowerSchool over OneRoster, PandaDoc's HubSpot integration), judged on
/// the code of `8fb102e`. `held-out-17` holds five more (an AWS IoT Core
/// rule into Timestream, Plaid's transactions sync on SQS, Lambda and
/// DynamoDB, Meta Lead Ads into a CRM with the Conversions API back,
/// two-way Twilio SMS for Freshdesk, Azure Data Factory's incremental ELT
/// from an on-premises SQL Server into Synapse), judged on the code of
/// `3b34b2e`. `held-out-18` holds five more (AWS's Serverlesspresso on
/// EventBridge and Step Functions, Lightspeed Retail's accounting into Xero,
/// Google Analytics 4's BigQuery export with dbt, Humanitix's Salesforce and
/// Mailchimp integrations, an n8n lead-triage recipe), judged on the code of
/// `cf469c8`. `held-out-19` holds five more (GitLab's Greenhouse, BambooHR
/// and Guardian hiring syncs, Bill.com's two-way QuickBooks Online sync,
/// Azure's serverless drone telemetry on Event Hubs, DMS change data from SQL
/// Server into Iceberg through Glue, Donorbox's Salesforce NPSP
/// integration), judged on the code of `64680e3`. `held-out-20` holds five
/// more (ShipBob's 3PL with a Shopify serial-number sync, Mailchimp for
/// Salesforce, AWS's serverless airline booking on Step Functions, Azure's
/// Relecloud rideshare on Durable Functions and Event Grid, Cal-ITP's GTFS
/// pipeline from Airflow into BigQuery), judged on the code of `976dd2d`.
/// `held-out-21` holds five more (Microsoft's Red Dog retail demo on Dapr and
/// RabbitMQ, Temporal's order management reference app, CiviCRM's Xero
/// sync, Chatwoot's Slack integration, dlt's HubSpot source into Redshift
/// and Postgres), judged on the code of `299d14b`. `held-out-22` holds five
/// more (Frappe's ERPNext Shopify integration, Ghost's Stripe members
/// webhooks, Flowing Retail on Kafka and Camunda, Lagom's online auction on
/// Kafka, Databricks' change-data-capture pipeline with Auto Loader and
/// Delta Live Tables), judged on the code of `4235b0a`. `held-out-23` holds
/// five more (Saleor's Klaviyo app, a Square to listmonk customer sync,
/// Stan's Robot Shop checkout on RabbitMQ, Eberhard Wolff's Kafka order,
/// shipping and invoicing sample, Flink CDC's MySQL to Doris pipeline),
/// judged on the code of `15c274a`. `held-out-24` holds five more (Azure's
/// Durable Functions saga on Event Hubs and Cosmos DB, the Go coffeeshop on
/// RabbitMQ, Vercel's Next.js subscriptions on Stripe and Supabase, a
/// small business's WooCommerce, YouCanBookMe and Stripe webhooks into
/// QuickBooks, Deputy's own Xero Payroll sync), judged on the code of
/// `70888a6`. `held-out-25` holds five more (Eberhard Wolff's Atom-feed
/// microservices, AWS's insurance claims sample on EventBridge and Step
/// Functions, a Harmonizely to HubSpot bridge behind a Zapier webhook, a
/// Lambda copying orders between two Shopify stores, a website's Stripe
/// deposit and Mailchimp subscribe), judged on the code of `61b3861`.
const SETS: &[SetFloors] = &[
    // `unheard-cancellation`'s question about later changes of records
    // created once (added after every set below was measured) covers one
    // more risk in each of held-out-2, 5, 6, 12 and 13, judged by its author;
    // `overwritten-edits`' question about a field synced both ways covers one
    // more in each of held-out-7, 8 and 11, judged the same way; and
    // `no-logging`'s question to a vendor's own integration (who hears of
    // its failures) covers one more in each of held-out-7, 9, 11, 12, 13
    // and two in held-out-14, judged the same way; `clock-chained` covers
    // one more in each of held-out-5 and 10, and `upsert-match`'s question
    // to a `create` of people one more in each of held-out-11, 12 and 14,
    // judged the same way; `unordered-events`' question about a reference to
    // records another flow brings one more in held-out-12. After
    // held-out-15, `non-idempotent-path` asks a request the flow waits on
    // (`send` with `call`, not a payment or a message) at info: held-out-7's
    // four such warnings (two true, two false) and held-out-13's one (true)
    // are infos now, with the same judgements.
    // Floors measured on `held-out-2`: 40 true of 44 warnings, and 32 of 47
    // risks covered (45 warnings before `api sqs` counted as a managed queue;
    // 31 risks before `overwritten-edits` asked NetSuite's connector). As first judged it stood at 38 of 49 and 22 of 47; the
    // later rounds of issue 25 were fixed on its findings, so these floors
    // hold the fixes, and the set is no longer held out from them.
    SetFloors { set: "held-out-2", min_folders: 10, precision: (40, 44), recall: (33, 47) },
    // Floors measured on `held-out-3`: 18 true of 23 warnings (26 before an
    // integer into money was asked at info), and 19 of 35
    // risks covered (18 before `overwritten-edits` asked a one-way broadcast
    // about edits in its target, 14 before `upsert-match` asked its upserts of people
    // what they match on, 17 before `unheard-cancellation` asked a poll about
    // deleted accounts), after the precision round `precision3` was fixed on its
    // classes (creation events, vendors' own integrations) and
    // `unheard-cancellation` added for one of its missed classes, so the set
    // is no longer held out from them. Once judged, with the fixes of the
    // held-out-2 findings merged, it stood at 18 of 34 (on the code before
    // those fixes: 18 of 36), and 13 of 35.
    // Re-measured when `non-idempotent-path` grouped the flows from one
    // source that ask the same into one finding: 2 true findings became
    // one (first measured 18 of 23); no judgement changed.
    SetFloors { set: "held-out-3", min_folders: 7, precision: (17, 22), recall: (19, 35) },
    // Floors measured on `held-out-4`: 18 true of 21 warnings (22 before a
    // datetime cut to a date was asked at info), and 18 of 34
    // risks covered (17 before `unwatched-dead-letter` asked flows of every
    // criticality) (as first judged, 18 of 24: the service's own computed
    // fields are an info since precision5, and the customer id the deal's
    // customer write passes on is not asked since precision6). As first judged, no check changed for it, 14 of 34; the
    // info of `upsert-match` that asks an upsert of people what it matches on
    // (added for the upsert-key class of held-out-2, 3 and 4) covers three
    // more, so the set is no longer held out from that class.
    // Re-measured when a message sent again and nothing more became an
    // info of `non-idempotent-path` that asks: 1 true and 0 false
    // warnings became infos (measured before: 18 of 21).
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 2 true and 0 false
    // warnings became members of another's (measured before: 17 of 20).
    SetFloors { set: "held-out-4", min_folders: 5, precision: (15, 18), recall: (18, 34) },
    // Floors measured on `held-out-5`: 4 true of 5 warnings, and 15 of 37
    // risks covered (14 before `overwritten-edits`). As first judged on `8c59a2b`: 4 of 11 and 12 of 37; the
    // info of `upsert-match`, written before this set's findings were read,
    // covers two more risks; the precision round `precision5` was then fixed
    // on this set's false warnings (writes that map nothing, a per-field sync
    // in each direction, a publish a saga absorbs, a vendor's pipeline through
    // its own hub), so the set is no longer held out from those classes.
    SetFloors { set: "held-out-5", min_folders: 5, precision: (4, 5), recall: (17, 37) },
    // Floors measured on `held-out-6`: 18 true of 18 warnings, and 18 of 45
    // risks covered (15 as first judged; `unwatched-dead-letter`, asking flows
    // of every criticality since, covers three more). As first judged on `19b8b5a` (the final code of the
    // session that fixed precision5 on held-out-5), with no check changed for
    // it and its specs and risks committed before wireplan was run on them:
    // 18 of 26. The precision round `precision6` was then fixed on its false
    // warnings (a new record's own id, a value an earlier write of the flow
    // passes on, a poll beside the webhook it catches up, an update's key
    // carried by its trigger, the target's id kept in the source), so the set
    // is no longer held out from those classes. The false warning left (the
    // outbox pipe's `no-error-handling`) went with held-out-8's class (the
    // relay of an outbox or a change log resumes where it stopped).
    SetFloors { set: "held-out-6", min_folders: 5, precision: (18, 18), recall: (19, 45) },
    // Floors measured on `held-out-7`: 9 true of 13 warnings, and 11 of 40
    // risks covered. As first judged on `fdee286` (the final code of the
    // session that fixed precision6 on held-out-6), with no check changed for
    // it and its specs and risks committed before wireplan was run on them:
    // 9 of 17 and 10 of 40. Then `unwatched-dead-letter`, widened for
    // held-out-6's class, covers one more risk here, and `no-error-handling`
    // was fixed on its largest false class (a scheduled job over a work table
    // that marks each record done after its writes), so the set is no longer
    // held out from that class.
    SetFloors { set: "held-out-7", min_folders: 5, precision: (7, 9), recall: (13, 40) },
    // Floors measured on `held-out-8`: 8 true of 10 warnings, and 8 of 45
    // risks covered. As first judged on the code of `6afbf43` (the final code
    // of the session that fixed held-out-7's classes, with the language
    // server's incremental front end merged), with no check changed for it
    // and its specs and risks committed before wireplan was run on them: 6 of
    // 16 and 6 of 45. Its false classes were then fixed (the relay of a change
    // log, a messaging protocol's version, an upsert's own id, a vendor's
    // integration with one key, a loop run only by vendors' integrations) and
    // two of its missed ones (a hub carrying a critical system's changes out,
    // a replying flow's `increment`), so the set is no longer held out from
    // them; the two findings those fixes added were judged after them.
    SetFloors { set: "held-out-8", min_folders: 5, precision: (8, 10), recall: (9, 45) },
    // Floors measured on `held-out-9`: 7 true of 11 warnings (12 before a
    // stored file's address left empty was asked at info), and 10 of 42
    // risks covered (9 before `overwritten-edits`). As first judged on the code of `f3960a8` (the final code
    // of the session that fixed held-out-8's classes), with no check changed
    // for it and its specs and risks committed before wireplan was run on
    // them: 7 of 13. Then `upsert-match` asks at info, not warns, of a name
    // as the key of records other than people's and companies' (a blob's
    // name, unique in its container), so the set is no longer held out from
    // that class.
    SetFloors { set: "held-out-9", min_folders: 5, precision: (7, 11), recall: (11, 42) },
    // Floors measured on `held-out-10`: 10 true of 13 warnings, and 13 of
    // 42 risks covered. As first judged on the code of `b7a801d` with
    // `overwritten-edits` (then uncommitted, `7706bf8`), with no check
    // changed for it and its specs and risks committed before wireplan was
    // run on them: 9 of 24. Its false classes were then fixed (a poll that
    // loads only a warehouse, a vendor's poll, a batch load's dead letter,
    // GitHub's version window counted from the next release, audit fields
    // a store fills, two writers reading different records of one source, a
    // system only its own automations touch), so the set is no longer held
    // out from them; the one finding those fixes added (GitHub's version
    // retired in March 2028) was judged by their author.
    SetFloors { set: "held-out-10", min_folders: 5, precision: (10, 13), recall: (14, 42) },
    // Floors measured on `held-out-11`: 19 true of 19 warnings, and 21 of 49
    // risks covered. As first judged on the code of `55e7085` (held-out-10's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them: 19 of 25 and 20 of 49. Its
    // false classes were then fixed (a version asked only because the
    // catalog has one, a vendor's replying flow's timeout and charge), so
    // the set is no longer held out from them; the vendor's charge, now a
    // question for the vendor, covers one more risk, judged by the fix's
    // author.
    SetFloors { set: "held-out-11", min_folders: 5, precision: (19, 19), recall: (24, 49) },
    // Floors measured on `held-out-12`: 5 true of 6 warnings, and 10 of 46
    // risks covered, as first judged on the code of `6159fa4` (held-out-11's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them.
    // (11 of 46 since `overwritten-edits` no longer takes a flow back that
    // names another record for a way back, fixed on this set's miss.)
    SetFloors { set: "held-out-12", min_folders: 5, precision: (5, 6), recall: (15, 46) },
    // Floors measured on `held-out-13`: 6 true of 7 warnings, and 13 of 45
    // risks covered, as first judged on the code of `7cb8fd6` (held-out-12's
    // fix in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them.
    // Then its false warning's class was fixed (a person's id after an
    // earlier write of a person, passed on), and `upsert-match`'s address
    // question no longer gives way to an info for the vendor on the same key
    // (3 risks it had displaced): 6 of 6 and 16 of 45, judged by the fixes'
    // author.
    SetFloors { set: "held-out-13", min_folders: 5, precision: (5, 5), recall: (18, 45) },
    // Floors measured on `held-out-14`: 2 true of 4 warnings, and 12 of 49
    // risks covered, as first judged on the code of `e07b4f8` (with
    // `unheard-cancellation`'s later-changes question and the two-way
    // question of `overwritten-edits` in, which covered one of its risks),
    // with no check changed for it and its specs and risks committed before
    // wireplan was run on them.
    // Then its two false warnings' classes were fixed (an epoch integer
    // into a date is a question, not a mismatch; a Salesforce `AccountId`
    // after the account's create in the same flow is passed on): 2 of 2.
    SetFloors { set: "held-out-14", min_folders: 5, precision: (2, 2), recall: (15, 49) },
    // Floors measured on `held-out-15`: 6 true of 11 warnings, and 12 of 50
    // risks covered, as first judged on the code of `216fbce` (held-out-14's
    // fixes and the create question in), with no check changed for it and
    // its specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-15", min_folders: 5, precision: (6, 6), recall: (12, 50) },
    // Floors measured on `held-out-16`: 3 true of 13 warnings, and 8 of 54
    // risks covered, as first judged on the code of `8fb102e` (held-out-15's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them. Then the classes of 7 of
    // its 10 false warnings were fixed (a step between stores set off by a
    // clock or an orchestrator's signal loses nothing when it fails; a write
    // that maps nothing is not said to leave its key unfilled; a part of a
    // field written in an `each` fills the field).
    SetFloors { set: "held-out-16", min_folders: 5, precision: (3, 6), recall: (8, 54) },
    // Floors measured on `held-out-17`: 9 true of 9 warnings, and 10 of 57
    // risks covered, as first judged on the code of `3b34b2e` (held-out-16's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them. Its three false infos'
    // classes were fixed after the measure (a device's `external` reading
    // is no dual write; a write's own match key is no contested field; a
    // write back into the tool the trigger came from refers to what that
    // tool told of).
    SetFloors { set: "held-out-17", min_folders: 5, precision: (9, 9), recall: (10, 57) },
    // Floors measured on `held-out-18`: 11 true of 16 warnings, and 19 of 56
    // risks covered, as first judged on the code of `cf469c8` (with the
    // widened poll question of `unheard-cancellation`), with no check
    // changed for it and its specs and risks committed before wireplan was
    // run on them.
    SetFloors { set: "held-out-18", min_folders: 5, precision: (11, 16), recall: (19, 56) },
    // Floors measured on `held-out-19`: 8 true of 13 warnings, and 14 of 53
    // risks covered, as first judged on the code of `64680e3` (held-out-18's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them.
    SetFloors { set: "held-out-19", min_folders: 5, precision: (8, 13), recall: (14, 53) },
    // Floors measured on `held-out-20`: 25 true of 46 warnings, and 28 of 60
    // risks covered, as first judged on the code of `976dd2d` (held-out-19's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them.
    SetFloors { set: "held-out-20", min_folders: 5, precision: (25, 46), recall: (28, 60) },
    // Floors measured on `held-out-21`: 25 true of 39 warnings, and 19 of 55
    // risks covered, as first judged on the code of `299d14b` (held-out-20's
    // fixes in), with no check changed for it and its specs and risks
    // committed before wireplan was run on them.
    SetFloors { set: "held-out-21", min_folders: 5, precision: (25, 39), recall: (19, 55) },
    // Floors measured on `held-out-22`: 23 true of 33 warnings, and 14 of 58
    // risks covered, as first judged on the code of `4235b0a` (the classes
    // fixed after held-out-21 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-22", min_folders: 5, precision: (23, 33), recall: (14, 58) },
    // Floors measured on `held-out-23`: 25 true of 41 warnings, and 11 of 51
    // risks covered, as first judged on the code of `15c274a` (the classes
    // fixed after held-out-22 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-23", min_folders: 5, precision: (25, 41), recall: (11, 51) },
    // Floors measured on `held-out-24`: 33 true of 48 warnings, and 19 of 53
    // risks covered, as first judged on the code of `70888a6` (the classes
    // fixed after held-out-23 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-24", min_folders: 5, precision: (33, 48), recall: (19, 53) },
    // Floors measured on `held-out-25`: 26 true of 30 warnings, and 16 of 52
    // risks covered, as first judged on the code of `61b3861` (the classes
    // fixed after held-out-24 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-25", min_folders: 5, precision: (26, 30), recall: (16, 52) },
    // Floors measured on `held-out-26`: 15 true of 23 warnings, and 10 of 57
    // risks covered, as first judged on the code of `dfdc40c` (the classes
    // fixed after held-out-25 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-26", min_folders: 5, precision: (15, 23), recall: (10, 57) },
    // Floors measured on `held-out-27`: 16 true of 31 warnings, and 16 of 52
    // risks covered, as first judged on the code of `66e2641` (the classes
    // fixed after held-out-26 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them. Its recall
    // was re-measured at 15 when `no-compensation` stopped asking of a
    // token, which takes no money: Discourse's rotated Patreon token, lost
    // with its answer, is a risk no rule states now.
    SetFloors { set: "held-out-27", min_folders: 5, precision: (16, 31), recall: (15, 52) },
    // Floors measured on `held-out-28`: 28 true of 36 warnings, and 21 of 55
    // risks covered, as first judged on the code of `15e540a` (the classes
    // fixed after held-out-27 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-28", min_folders: 5, precision: (28, 36), recall: (21, 55) },
    // Floors measured on `held-out-29`: 19 true of 38 warnings, and 24 of 58
    // risks covered, as first judged on the code of `1fd2089` (the classes
    // fixed after held-out-28 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-29", min_folders: 5, precision: (19, 38), recall: (24, 58) },
    // Floors measured on `held-out-30`: 16 true of 37 warnings, and 17 of 57
    // risks covered, as first judged on the code of `3ad2cbd` (the classes
    // fixed after held-out-29 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-30", min_folders: 5, precision: (16, 37), recall: (17, 57) },
    // Floors measured on `held-out-31`: 20 true of 24 warnings, and 17 of 56
    // risks covered, as first judged on the code of `3ad2cbd` (the classes
    // fixed after held-out-29 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-31", min_folders: 5, precision: (20, 24), recall: (17, 56) },
    // Floors measured on `held-out-32`: 22 true of 40 warnings, and 18 of 55
    // risks covered, as first judged on the code of `945defc` (the classes
    // fixed after held-out-31 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-32", min_folders: 5, precision: (22, 40), recall: (18, 55) },
    // Floors measured on `held-out-33`: 10 true of 16 warnings, and 15 of 60
    // risks covered, as first judged on the code of `945defc` (the classes
    // fixed after held-out-31 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-33", min_folders: 5, precision: (10, 16), recall: (15, 60) },
    // Floors measured on `held-out-34`: 18 true of 24 warnings, and 16 of 58
    // risks covered, as first judged on the code of `56e438d` (the classes
    // fixed after held-out-30 to 33 in), with no check changed for it and
    // its specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-34", min_folders: 5, precision: (18, 24), recall: (16, 58) },
    // Floors measured on `held-out-35`: 12 true of 13 warnings, and 11 of 58
    // risks covered, as first judged on the code of `56e438d` (the classes
    // fixed after held-out-30 to 33 in), with no check changed for it and
    // its specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-35", min_folders: 5, precision: (12, 13), recall: (11, 58) },
    // Floors measured on `held-out-36`: 29 true of 61 warnings, and 18 of 52
    // risks covered, as first judged on the code of `20b8a8c` (the classes
    // fixed after held-out-34 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-36", min_folders: 5, precision: (29, 61), recall: (18, 52) },
    // Floors measured on `held-out-37`: 19 true of 21 warnings, and 22 of 63
    // risks covered, as first judged on the code of `20b8a8c` (the classes
    // fixed after held-out-34 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-37", min_folders: 5, precision: (19, 21), recall: (22, 63) },
    // Floors measured on `held-out-38`: 16 true of 23 warnings, and 17 of 56
    // risks covered, as first judged on the code of `23eda6b` (the classes
    // fixed after held-out-36 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-38", min_folders: 5, precision: (16, 23), recall: (17, 56) },
    // Floors measured on `held-out-39`: 9 true of 14 warnings, and 18 of 58
    // risks covered, as first judged on the code of `23eda6b` (the classes
    // fixed after held-out-36 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-39", min_folders: 5, precision: (9, 14), recall: (18, 58) },
    // Floors measured on `held-out-40`: 17 true of 30 warnings, and 17 of 60
    // risks covered, as first judged on the code of `f99a474` (the classes
    // fixed after held-out-38 and 39 in), with no check changed for it and
    // its specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-40", min_folders: 5, precision: (17, 30), recall: (17, 60) },
    // Floors measured on `held-out-41`: 11 true of 20 warnings, and 17 of 61
    // risks covered, as first judged on the code of `f99a474`, written and
    // judged the same way.
    // Recall re-measured when `upsert-match` stopped asking of a key a write
    // never fills (right once in 81): the one risk it covered, a MERGE that
    // leaves its key out (before: 17 of 61).
    SetFloors { set: "held-out-41", min_folders: 5, precision: (11, 20), recall: (16, 61) },
    // Floors measured on `held-out-42`: 13 true of 20 warnings, and 13 of 64
    // risks covered, as first judged on the code of `e5f1c67` (the classes
    // fixed after held-out-40 and 41 in), with no check changed for it and
    // its specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-42", min_folders: 5, precision: (13, 20), recall: (13, 64) },
    // Floors measured on `held-out-43`: 16 true of 18 warnings, and 18 of 67
    // risks covered, as first judged on the code of `e5f1c67`, written and
    // judged the same way.
    SetFloors { set: "held-out-43", min_folders: 5, precision: (16, 18), recall: (18, 67) },
    // Floors measured on `held-out-44`: 17 true of 28 warnings, and 19 of 68
    // risks covered, as first judged on the code of `b15aab6` (the classes
    // fixed after held-out-42 and 43 in), with no check changed for it and
    // its specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-44", min_folders: 5, precision: (17, 28), recall: (19, 68) },
    // Floors measured on `held-out-45`: 13 true of 18 warnings, and 18 of 61
    // risks covered, as first judged on the code of `b15aab6`, written and
    // judged the same way.
    SetFloors { set: "held-out-45", min_folders: 5, precision: (13, 18), recall: (18, 61) },
    // Floors measured on `held-out-46`: 19 true of 26 warnings, and 22 of 66
    // risks covered, as first judged on the code of `ab905c5` (the classes
    // fixed on held-out-40 to 44 in), with no check changed for it and its
    // specs and risks committed before wireplan was run on them.
    SetFloors { set: "held-out-46", min_folders: 5, precision: (19, 26), recall: (22, 66) },
    // Floors measured on `held-out-47`: 11 true of 20 warnings, and 11 of 59
    // risks covered, as first judged on the code of `ab905c5`, written and
    // judged the same way.
    // Re-measured when `missing-required-field` became off by default
    // (right 3 times in 145 on the corpus): the info that named AvaTax's
    // item description no longer covers R10 (measured before: 11 of 59).
    SetFloors { set: "held-out-47", min_folders: 5, precision: (11, 20), recall: (10, 59) },
    // Floors measured on `held-out-48` (SaaS: 11 true of 18 warnings, 13 of
    // 60 risks covered) and `held-out-49` (event-driven and ELT: 14 of 23,
    // 18 of 61), as first judged on the code of `5c45c00` (with every fix
    // made on held-out-40 to 47 in), written and judged the same way.
    SetFloors { set: "held-out-48", min_folders: 5, precision: (11, 18), recall: (13, 60) },
    SetFloors { set: "held-out-49", min_folders: 5, precision: (14, 23), recall: (18, 61) },
    // Floors measured on `held-out-50` (SaaS: 26 true of 28 warnings, 18 of
    // 61 risks covered) and `held-out-51` (event-driven and ELT: 10 of 18,
    // 13 of 61), as first judged on the code of `9831d93` (with every fix
    // made on held-out-40 to 49 in), written and judged the same way.
    SetFloors { set: "held-out-50", min_folders: 5, precision: (26, 28), recall: (18, 61) },
    SetFloors { set: "held-out-51", min_folders: 5, precision: (10, 18), recall: (13, 61) },
    // Floors measured on `held-out-52` (SaaS: 9 true of 24 warnings, 9 of
    // 63 risks covered) and `held-out-53` (event-driven and ELT: 17 of 25,
    // 19 of 59), as first judged on the code of `d894507` (with every fix
    // made on held-out-40 to 51 in), written and judged the same way.
    SetFloors { set: "held-out-52", min_folders: 5, precision: (9, 24), recall: (9, 63) },
    SetFloors { set: "held-out-53", min_folders: 5, precision: (17, 25), recall: (19, 59) },
    // Floors measured on `held-out-54` (SaaS: 6 true of 7 warnings, 9 of 58
    // risks covered) and `held-out-55` (event-driven and ELT: 5 of 7, 13 of
    // 52), as first judged on the code of `f4ac11d` (with every fix made on
    // held-out-40 to 53 in), written and judged the same way.
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 2 true and 0 false
    // warnings became members of another's (measured before: 6 of 7).
    SetFloors { set: "held-out-54", min_folders: 5, precision: (4, 5), recall: (9, 58) },
    SetFloors { set: "held-out-55", min_folders: 5, precision: (5, 7), recall: (13, 52) },
    // Floors measured on `held-out-56` (SaaS: 6 true of 9 warnings, 11 of 55
    // risks covered) and `held-out-57` (event-driven and ELT: 8 of 16, 12 of
    // 59), as first judged on the code of `f4ac11d`, written and judged the
    // same way.
    SetFloors { set: "held-out-56", min_folders: 5, precision: (6, 9), recall: (11, 55) },
    SetFloors { set: "held-out-57", min_folders: 5, precision: (8, 16), recall: (12, 59) },
    // Floors measured on `held-out-58` (SaaS: 7 true of 9 warnings, 9 of 57
    // risks covered) and `held-out-59` (event-driven and ELT: 14 of 16, 12
    // of 59), as first judged on the code of `bf85509` (with every fix made
    // on held-out-48 to 57 in), written and judged the same way.
    SetFloors { set: "held-out-58", min_folders: 5, precision: (7, 9), recall: (9, 57) },
    // Re-measured when `non-idempotent-path` grouped the flows from one
    // source that ask the same into one finding: 4 true findings became
    // one (first measured 14 of 16); no judgement changed.
    SetFloors { set: "held-out-59", min_folders: 5, precision: (11, 13), recall: (12, 59) },
    // Floors measured on `held-out-60` (SaaS: 7 true of 11 warnings, 10 of
    // 58 risks covered) and `held-out-61` (event-driven and ELT: 6 of 14, 12
    // of 57), as first judged on the code of `ed352b7`, written and judged
    // the same way.
    SetFloors { set: "held-out-60", min_folders: 5, precision: (7, 11), recall: (10, 58) },
    SetFloors { set: "held-out-61", min_folders: 5, precision: (6, 14), recall: (12, 57) },
    // Floors measured on `held-out-62` (SaaS, four folders: the fifth was
    // on a repository the corpus has; 6 true of 6 warnings, 9 of 47 risks
    // covered) and `held-out-63` (event-driven and ELT: 6 of 9, 11 of 57),
    // as first judged on the code of `f9e5482`, written and judged the
    // same way.
    SetFloors { set: "held-out-62", min_folders: 4, precision: (6, 6), recall: (9, 47) },
    // Re-measured when a message sent again and nothing more became an
    // info of `non-idempotent-path` that asks: 2 true and 0 false
    // warnings became infos (measured before: 6 of 9).
    SetFloors { set: "held-out-63", min_folders: 5, precision: (4, 7), recall: (11, 57) },
    // Floors measured on `held-out-64` (SaaS: 9 true of 14 warnings, 16 of
    // 58 risks covered) and `held-out-65` (event-driven and ELT: 9 of 12,
    // 10 of 53), as first judged on the code of `bdc003c`, written and
    // judged the same way.
    SetFloors { set: "held-out-64", min_folders: 5, precision: (9, 14), recall: (16, 58) },
    SetFloors { set: "held-out-65", min_folders: 5, precision: (9, 12), recall: (10, 53) },
    // Floors measured on `held-out-66` to `held-out-69` (SaaS: 8 true of 12
    // warnings, 16 of 65 risks covered, and 9 of 15, 10 of 62; event-driven
    // and ELT: 12 of 18, 17 of 59, and 9 of 11, 13 of 52), as first judged
    // on the code of `f08d018`, four sets at a time, written and judged the
    // same way.
    // Re-measured when `non-idempotent-path` grouped the flows from one
    // source that ask the same into one finding: 2 true findings became
    // one (first measured 8 of 12); no judgement changed.
    // Re-measured when `missing-required-field` became off by default
    // (right 3 times in 145 on the corpus): the info that named the HubSpot
    // ticket's pipeline stage no longer covers R4 (measured before: 16 of 65).
    SetFloors { set: "held-out-66", min_folders: 5, precision: (7, 11), recall: (15, 65) },
    SetFloors { set: "held-out-67", min_folders: 5, precision: (12, 18), recall: (17, 59) },
    SetFloors { set: "held-out-68", min_folders: 5, precision: (9, 15), recall: (10, 62) },
    SetFloors { set: "held-out-69", min_folders: 5, precision: (9, 11), recall: (13, 52) },
    // Floors measured on `held-out-70` to `held-out-73` (SaaS: 23 true of 32
    // warnings, 17 of 60 risks covered, and 16 of 23, 16 of 62; event-driven
    // and ELT: 26 of 36, 20 of 63, and 12 of 18, 22 of 63), as first judged
    // on the code of `02149a4`, four sets at a time, written and judged the
    // same way.
    // Re-measured when `non-idempotent-path` grouped the flows from one
    // source that ask the same into one finding: 2 true findings became
    // one (first measured 23 of 32); no judgement changed.
    SetFloors { set: "held-out-70", min_folders: 5, precision: (22, 31), recall: (17, 60) },
    SetFloors { set: "held-out-71", min_folders: 5, precision: (26, 36), recall: (20, 63) },
    SetFloors { set: "held-out-72", min_folders: 5, precision: (16, 23), recall: (16, 62) },
    SetFloors { set: "held-out-73", min_folders: 5, precision: (12, 18), recall: (22, 63) },
    // Floors measured on `held-out-74` to `held-out-77` (SaaS: 11 true of 15
    // warnings, 17 of 64 risks covered, and 18 of 25, 22 of 67; event-driven
    // and ELT: 27 of 41, 22 of 63, and 24 of 27, 22 of 62), as first judged
    // on the code of `1908117`, four sets at a time, written and judged the
    // same way. Re-measured when `upsert-match` asked an unmarked field of
    // an event at info: a true warning of each of held-out-74 and 76 became
    // an info that asks (first measured 11 of 15 and 18 of 25).
    SetFloors { set: "held-out-74", min_folders: 5, precision: (10, 14), recall: (17, 64) },
    SetFloors { set: "held-out-75", min_folders: 5, precision: (27, 41), recall: (22, 63) },
    SetFloors { set: "held-out-76", min_folders: 5, precision: (17, 24), recall: (22, 67) },
    SetFloors { set: "held-out-77", min_folders: 5, precision: (24, 27), recall: (22, 62) },
    // Floors measured on `held-out-78` to `held-out-81` (SaaS: 16 true of 20
    // warnings, 18 of 62 risks covered, and 15 of 23, 20 of 65; event-driven
    // and ELT: 14 of 20, 17 of 59, and 8 of 12, 14 of 59), as first judged
    // on the code of `d6f1559`, four sets at a time, written and judged the
    // same way (the search tools' budget ran out during the writing: most
    // sources were read from the released packages, `pip download` and
    // `npm pack`, as each SOURCE.md says).
    SetFloors { set: "held-out-78", min_folders: 5, precision: (16, 20), recall: (18, 62) },
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 5 true and 2 false
    // warnings became members of another's (measured before: 14 of 20).
    SetFloors { set: "held-out-79", min_folders: 5, precision: (9, 13), recall: (17, 59) },
    SetFloors { set: "held-out-80", min_folders: 5, precision: (15, 23), recall: (20, 65) },
    SetFloors { set: "held-out-81", min_folders: 5, precision: (8, 12), recall: (14, 59) },
    // Floors measured on `held-out-82` to `held-out-85` (SaaS: 9 true of 13
    // warnings, 16 of 62 risks covered, and 7 of 12, 12 of 61; event-driven
    // and ELT: 5 of 5, 7 of 57, and 8 of 17, 11 of 54), as first judged on
    // the code of `77bc87e`, four sets at a time, written and judged from
    // the released packages alone (the search tools' budget was spent).
    SetFloors { set: "held-out-82", min_folders: 5, precision: (9, 13), recall: (16, 62) },
    SetFloors { set: "held-out-83", min_folders: 5, precision: (5, 5), recall: (7, 57) },
    SetFloors { set: "held-out-84", min_folders: 5, precision: (7, 12), recall: (12, 61) },
    SetFloors { set: "held-out-85", min_folders: 5, precision: (8, 17), recall: (11, 54) },
    // Floors measured on `held-out-86` to `held-out-89` (SaaS: 7 true of 8
    // warnings, 17 of 56 risks covered, and 7 of 9, 19 of 57; event-driven
    // and ELT: 11 of 12, 17 of 60, and 4 of 4, 14 of 63), as first judged
    // on the code of `766a8bb`, four sets at a time, written and judged the
    // same way, the search tools' budget back. Held-out-87 re-measured when
    // `unused-system` asked a database beside a broker at info: its one
    // false warning (Debezium Server's offset store) became an info.
    SetFloors { set: "held-out-86", min_folders: 5, precision: (7, 8), recall: (17, 56) },
    SetFloors { set: "held-out-87", min_folders: 5, precision: (11, 11), recall: (17, 60) },
    // Re-measured when a message sent again and nothing more became an
    // info of `non-idempotent-path` that asks: 1 true and 0 false
    // warnings became infos (measured before: 7 of 9).
    SetFloors { set: "held-out-88", min_folders: 5, precision: (6, 8), recall: (19, 57) },
    SetFloors { set: "held-out-89", min_folders: 5, precision: (4, 4), recall: (14, 63) },
    // Floors measured on `held-out-90` to `held-out-93` (SaaS: 3 true of 5
    // warnings, 16 of 60 risks covered, and 4 of 5, 14 of 63; event-driven
    // and ELT: 7 of 8, 14 of 57, and 6 of 6, 18 of 55), as first judged on
    // the code of `e0f02d1`, four sets at a time, written and judged the
    // same way.
    // Re-measured when a message sent again and nothing more became an
    // info of `non-idempotent-path` that asks: 1 true and 0 false
    // warnings became infos (measured before: 3 of 5).
    SetFloors { set: "held-out-90", min_folders: 5, precision: (2, 4), recall: (16, 60) },
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 14 of 57).
    SetFloors { set: "held-out-91", min_folders: 5, precision: (7, 8), recall: (13, 57) },
    SetFloors { set: "held-out-92", min_folders: 5, precision: (4, 5), recall: (14, 63) },
    SetFloors { set: "held-out-93", min_folders: 5, precision: (6, 6), recall: (18, 55) },
    // Floors measured on `held-out-94` to `held-out-101` (SaaS: 1 true of 2
    // warnings, 16 of 61 risks covered; 3 of 6, 13 of 62; 5 of 9, 8 of 60;
    // 3 of 4, 16 of 59; event-driven and ELT: 5 of 6, 12 of 55; 8 of 11, 13
    // of 60; 7 of 11, 16 of 65; 5 of 6, 10 of 63), as first judged on the
    // code of `af418bb`, eight sets at a time, written and judged the same
    // way, the writers of one theme splitting the alphabet in four.
    SetFloors { set: "held-out-94", min_folders: 5, precision: (1, 2), recall: (16, 61) },
    SetFloors { set: "held-out-95", min_folders: 5, precision: (3, 6), recall: (13, 62) },
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 1 true and 0 false
    // warnings became members of another's (measured before: 5 of 9).
    SetFloors { set: "held-out-96", min_folders: 5, precision: (4, 8), recall: (8, 60) },
    // Re-measured when `missing-timeout` weighed a `reply` whose every
    // `call` says a timeout against what most callers wait (30 s): 1 true
    // and 0 false warnings became infos (measured before: 3 of 4).
    SetFloors { set: "held-out-97", min_folders: 5, precision: (2, 3), recall: (16, 59) },
    SetFloors { set: "held-out-98", min_folders: 5, precision: (5, 6), recall: (12, 55) },
    SetFloors { set: "held-out-99", min_folders: 5, precision: (8, 11), recall: (13, 60) },
    // Re-measured when a message sent again and nothing more became an
    // info of `non-idempotent-path` that asks: 2 true and 1 false
    // warnings became infos (measured before: 7 of 11).
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 1 true and 0 false
    // warnings became members of another's (measured before: 5 of 8).
    SetFloors { set: "held-out-100", min_folders: 5, precision: (4, 7), recall: (16, 65) },
    SetFloors { set: "held-out-101", min_folders: 5, precision: (5, 6), recall: (10, 63) },
    // Floors measured on `held-out-102` to `held-out-109` (SaaS: 5 true of 8
    // warnings, 9 of 59 risks covered; 17 of 20, 16 of 64; 2 of 2, 8 of 44;
    // 9 of 10, 19 of 61; event-driven and ELT: 4 of 5, 9 of 59; 4 of 5, 11
    // of 60; 6 of 8, 14 of 59; 9 of 14, 12 of 64), as first judged on the
    // code of `6701609`, eight sets at a time. The search tools' budget ran
    // out during the writing: most judges read the sources from released
    // packages or, where none is published, from what SOURCE.md quotes.
    // Held-out-104 holds four: a fifth repeated held-out-88's plugin.
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 1 true and 0 false
    // warnings became members of another's (measured before: 5 of 8).
    SetFloors { set: "held-out-102", min_folders: 5, precision: (4, 7), recall: (9, 59) },
    SetFloors { set: "held-out-103", min_folders: 5, precision: (17, 20), recall: (16, 64) },
    SetFloors { set: "held-out-104", min_folders: 4, precision: (2, 2), recall: (8, 44) },
    SetFloors { set: "held-out-105", min_folders: 5, precision: (9, 10), recall: (19, 61) },
    SetFloors { set: "held-out-106", min_folders: 5, precision: (4, 5), recall: (9, 59) },
    SetFloors { set: "held-out-107", min_folders: 5, precision: (4, 5), recall: (11, 60) },
    SetFloors { set: "held-out-108", min_folders: 5, precision: (6, 8), recall: (14, 59) },
    // Re-measured when a message sent again and nothing more became an
    // info of `non-idempotent-path` that asks: 2 true and 0 false
    // warnings became infos (measured before: 9 of 14).
    SetFloors { set: "held-out-109", min_folders: 5, precision: (7, 12), recall: (12, 64) },
    // Floors measured on `held-out-110` to `held-out-117` (SaaS: 10 true of
    // 15 warnings, 17 of 65 risks covered; 13 of 18, 26 of 66; 13 of 23, 18
    // of 68; 19 of 23, 28 of 62; event-driven and ELT: 5 of 8, 10 of 50; 16
    // of 19, 10 of 55; 10 of 10, 13 of 62; 3 of 3, 12 of 65), as first
    // judged on the code of `aa10c9e` (a message sent again and nothing more
    // asked at info), eight sets at a time, the writers of one theme
    // splitting the alphabet in four. Held-out-114 and 115 hold four each:
    // their fifth repeated an architecture of held-out-110 and 111 (the
    // same vendor's WooCommerce plugin, the same n8n template). No recall
    // changed when `missing-required-field` became off by default after.
    SetFloors { set: "held-out-110", min_folders: 5, precision: (10, 15), recall: (17, 65) },
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 1 true and 0 false
    // warnings became members of another's (measured before: 13 of 18).
    SetFloors { set: "held-out-111", min_folders: 5, precision: (12, 17), recall: (26, 66) },
    SetFloors { set: "held-out-112", min_folders: 5, precision: (13, 23), recall: (18, 68) },
    SetFloors { set: "held-out-113", min_folders: 5, precision: (19, 23), recall: (28, 62) },
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 10 of 50). Precision re-measured when `missing-timeout` said
    // a reply's missing timeout in the finding of the flow's calls, where
    // every call says none either: a true warning on the reply joined its
    // call's (before: 5 of 8).
    SetFloors { set: "held-out-114", min_folders: 4, precision: (4, 7), recall: (9, 50) },
    // Re-measured when `no-error-handling` grouped the flows from one
    // source that ask the same into one finding: 5 true and 0 false
    // warnings became members of another's (measured before: 16 of 19).
    SetFloors { set: "held-out-115", min_folders: 4, precision: (11, 14), recall: (10, 55) },
    SetFloors { set: "held-out-116", min_folders: 5, precision: (10, 10), recall: (13, 62) },
    SetFloors { set: "held-out-117", min_folders: 5, precision: (3, 3), recall: (12, 65) },
    // Floors measured on `held-out-118` to `held-out-125` (SaaS: 14 true of
    // 21 warnings, 16 of 67 risks covered; 8 of 8, 14 of 64; 11 of 13, 11 of
    // 66; 6 of 9, 13 of 71; event-driven and ELT: 13 of 18, 15 of 67; 5 of
    // 6, 10 of 74; 17 of 30, 19 of 70; 7 of 11, 13 of 69), as first judged
    // on the code of `183a0e0` (every fix after held-out-117 in), eight sets
    // at a time. The search tools' budget was spent: the writers found the
    // architectures in released packages (PyPI, npm) and the judges read the
    // same packages.
    SetFloors { set: "held-out-118", min_folders: 5, precision: (14, 21), recall: (16, 67) },
    SetFloors { set: "held-out-119", min_folders: 5, precision: (8, 8), recall: (14, 64) },
    // Re-measured when `missing-timeout` grouped the flows from one source
    // that ask the same into one finding: 4 true and 0 false warnings
    // became members of another's (measured before: 11 of 13).
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 11 of 66).
    SetFloors { set: "held-out-120", min_folders: 5, precision: (7, 9), recall: (10, 66) },
    SetFloors { set: "held-out-121", min_folders: 5, precision: (6, 9), recall: (13, 71) },
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 15 of 67).
    SetFloors { set: "held-out-122", min_folders: 5, precision: (13, 18), recall: (14, 67) },
    SetFloors { set: "held-out-123", min_folders: 5, precision: (5, 6), recall: (10, 74) },
    SetFloors { set: "held-out-124", min_folders: 5, precision: (17, 30), recall: (19, 70) },
    SetFloors { set: "held-out-125", min_folders: 5, precision: (7, 11), recall: (13, 69) },
    // Floors measured on `held-out-126` to `held-out-133` (SaaS: 3 true of 6
    // warnings, 5 of 44 risks covered; 6 of 8, 13 of 60; 5 of 11, 7 of 51; 2
    // of 3, 9 of 64; event-driven and ELT: 5 of 7, 14 of 67; 7 of 8, 12 of
    // 65; 4 of 4, 6 of 64; 3 of 3, 5 of 62), as first judged on the code of
    // `141c98b` (the checks of `183a0e0`), written and judged from released
    // packages like held-out-118 to 125. Held-out-126 holds four (its writer's
    // time ran out) and held-out-128 four (its fifth repeated held-out-119's
    // Klaviyo plugin for Medusa).
    SetFloors { set: "held-out-126", min_folders: 4, precision: (3, 6), recall: (5, 44) },
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 13 of 60).
    SetFloors { set: "held-out-127", min_folders: 5, precision: (6, 8), recall: (12, 60) },
    // Re-measured when `missing-timeout` grouped the flows from one source
    // that ask the same into one finding: 1 true and 0 false warnings
    // became members of another's (measured before: 5 of 11).
    SetFloors { set: "held-out-128", min_folders: 4, precision: (4, 10), recall: (7, 51) },
    SetFloors { set: "held-out-129", min_folders: 5, precision: (2, 3), recall: (9, 64) },
    SetFloors { set: "held-out-130", min_folders: 5, precision: (5, 7), recall: (14, 67) },
    // Re-measured when `missing-timeout` weighed a `reply` whose every
    // `call` says a timeout against what most callers wait (30 s): 1 true
    // and 0 false warnings became infos (measured before: 7 of 8).
    SetFloors { set: "held-out-131", min_folders: 5, precision: (6, 7), recall: (12, 65) },
    SetFloors { set: "held-out-132", min_folders: 5, precision: (4, 4), recall: (6, 64) },
    SetFloors { set: "held-out-133", min_folders: 5, precision: (3, 3), recall: (5, 62) },
    // Floors measured on `held-out-134` to `held-out-141` (SaaS: 8 true of 9
    // warnings, 8 of 57 risks covered; 10 of 12, 12 of 52; 7 of 9, 10 of 64;
    // 4 of 6, 7 of 61; event-driven and ELT: 7 of 11, 12 of 56; 4 of 5, 11 of
    // 58; 6 of 6, 10 of 63; 4 of 4, 7 of 47), as first judged on the code of
    // `b5f3d3a`, written and judged from released packages like held-out-118
    // to 133. Held-out-135 and 141 hold four each: their fifth repeated a
    // package of held-out-134 (dl-pipeline-connector's HubSpot pipeline) and
    // of held-out-137 (Singer's tap-square).
    SetFloors { set: "held-out-134", min_folders: 5, precision: (8, 9), recall: (8, 57) },
    // Re-measured when `missing-timeout` grouped the flows from one source
    // that ask the same into one finding: 2 true and 0 false warnings
    // became members of another's (measured before: 10 of 12). Again when
    // `unversioned-api` asked a vendor the catalog says nothing of at info:
    // Helcim's unversioned API, judged true, became an info (before: 8 of 10).
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 12 of 52).
    SetFloors { set: "held-out-135", min_folders: 4, precision: (7, 9), recall: (11, 52) },
    // Re-measured when `missing-timeout` grouped the flows from one source
    // that ask the same into one finding: 1 true and 0 false warnings
    // became members of another's (measured before: 7 of 9).
    SetFloors { set: "held-out-136", min_folders: 5, precision: (6, 8), recall: (10, 64) },
    SetFloors { set: "held-out-137", min_folders: 5, precision: (4, 6), recall: (7, 61) },
    SetFloors { set: "held-out-138", min_folders: 5, precision: (7, 11), recall: (12, 56) },
    SetFloors { set: "held-out-139", min_folders: 5, precision: (4, 5), recall: (11, 58) },
    SetFloors { set: "held-out-140", min_folders: 5, precision: (6, 6), recall: (10, 63) },
    SetFloors { set: "held-out-141", min_folders: 4, precision: (4, 4), recall: (7, 47) },
    // Floors measured on `held-out-142` to `held-out-149` (SaaS: 11 true of
    // 23 warnings, 10 of 63 risks covered; 4 of 7, 8 of 51; 4 of 7, 10 of
    // 63; 1 of 1, 9 of 63; event-driven and ELT: 8 of 10, 9 of 63; 7 of 7,
    // 20 of 64; 4 of 7, 10 of 66; 7 of 8, 10 of 66), as first judged on the
    // code of `2737de8` (every fix of the session in), written and judged
    // from released packages like held-out-118 to 141. Held-out-143 holds
    // four: its fifth, gckit, was in the corpus already.
    SetFloors { set: "held-out-142", min_folders: 5, precision: (11, 23), recall: (10, 63) },
    SetFloors { set: "held-out-143", min_folders: 4, precision: (4, 7), recall: (8, 51) },
    SetFloors { set: "held-out-144", min_folders: 5, precision: (4, 7), recall: (10, 63) },
    SetFloors { set: "held-out-145", min_folders: 5, precision: (1, 1), recall: (9, 63) },
    // Precision re-measured when `missing-timeout` asked at info of a reply
    // in a flow that waits on no call and writes only its own store: a true
    // warning became an info (before: 8 of 10).
    SetFloors { set: "held-out-146", min_folders: 5, precision: (7, 9), recall: (9, 63) },
    SetFloors { set: "held-out-147", min_folders: 5, precision: (7, 7), recall: (20, 64) },
    SetFloors { set: "held-out-148", min_folders: 5, precision: (4, 7), recall: (10, 66) },
    SetFloors { set: "held-out-149", min_folders: 5, precision: (7, 8), recall: (10, 66) },
    // Floors measured on `held-out-150` to `held-out-157` (SaaS: 13 true of
    // 13 warnings, 17 of 65 risks covered; 3 of 4, 8 of 63; 10 of 10, 14 of
    // 63; 4 of 7, 6 of 63; event-driven and ELT: 3 of 7, 9 of 62; 6 of 10,
    // 13 of 63; 5 of 5, 12 of 68; 2 of 3, 9 of 64), as first judged on the
    // code of `7798f6d`, written and judged from released packages like
    // held-out-118 to 149.
    SetFloors { set: "held-out-150", min_folders: 5, precision: (13, 13), recall: (17, 65) },
    SetFloors { set: "held-out-151", min_folders: 5, precision: (3, 4), recall: (8, 63) },
    SetFloors { set: "held-out-152", min_folders: 5, precision: (10, 10), recall: (14, 63) },
    SetFloors { set: "held-out-153", min_folders: 5, precision: (4, 7), recall: (6, 63) },
    SetFloors { set: "held-out-154", min_folders: 5, precision: (3, 7), recall: (9, 62) },
    SetFloors { set: "held-out-155", min_folders: 5, precision: (6, 10), recall: (13, 63) },
    SetFloors { set: "held-out-156", min_folders: 5, precision: (5, 5), recall: (12, 68) },
    SetFloors { set: "held-out-157", min_folders: 5, precision: (2, 3), recall: (9, 64) },
    // Floors measured on `held-out-158` to `held-out-165` (SaaS: 4 true of 4
    // warnings, 11 of 65 risks covered; 2 of 3, 5 of 47; 11 of 13, 17 of
    // 64; 9 of 11, 14 of 60; event-driven and ELT: 4 of 5, 10 of 61; 4 of
    // 5, 10 of 64; 4 of 7, 9 of 65; 6 of 10, 7 of 58), as first judged on
    // the code of `096c954`, written and judged from released packages like
    // held-out-118 to 157. Held-out-159 holds four: its fifth, gckit, was in
    // the corpus already.
    SetFloors { set: "held-out-158", min_folders: 5, precision: (4, 4), recall: (11, 65) },
    SetFloors { set: "held-out-159", min_folders: 4, precision: (2, 3), recall: (5, 47) },
    SetFloors { set: "held-out-160", min_folders: 5, precision: (11, 13), recall: (17, 64) },
    SetFloors { set: "held-out-161", min_folders: 5, precision: (9, 11), recall: (14, 60) },
    // Recall re-measured when `no-dead-letter` stopped asking of batch jobs
    // that a failed run loses nothing of: one risk only its info had covered
    // (before: 10 of 61).
    SetFloors { set: "held-out-162", min_folders: 5, precision: (4, 5), recall: (9, 61) },
    SetFloors { set: "held-out-163", min_folders: 5, precision: (4, 5), recall: (10, 64) },
    SetFloors { set: "held-out-164", min_folders: 5, precision: (4, 7), recall: (9, 65) },
    // Held-out-165's recall re-measured at 6 (before: 7 of 58) when
    // `upsert-match` stopped asking what a load into a warehouse matches
    // on: SendGrid's group members keyed by email alone, the one such info
    // of 31 judged right, is now missed.
    SetFloors { set: "held-out-165", min_folders: 5, precision: (6, 10), recall: (6, 58) },
    // Floors measured on `held-out-166` to `held-out-173` (SaaS: 7 true of 8
    // warnings, 10 of 64 risks covered; 4 of 5, 7 of 62; 10 of 17, 12 of
    // 65; 5 of 7, 7 of 64; event-driven and ELT: 2 of 2, 6 of 65; 7 of 9,
    // 14 of 59; 6 of 6, 12 of 63; 4 of 5, 6 of 61), as first judged on the
    // code of `aadd7a9`, written and judged from released packages like
    // held-out-118 to 165.
    SetFloors { set: "held-out-166", min_folders: 5, precision: (7, 8), recall: (10, 64) },
    SetFloors { set: "held-out-167", min_folders: 5, precision: (4, 5), recall: (7, 62) },
    // Re-measured at 9 of 16 after held-out-253: Razorpay's order, made
    // while the storefront waits, is now asked at info as a second order
    // the buyer could pay rather than warned as a charge; the judge had
    // called it right while saying that "charges" overstated it.
    SetFloors { set: "held-out-168", min_folders: 5, precision: (9, 16), recall: (12, 65) },
    // Recall re-measured at once for `no-dead-letter`'s batch jobs (first
    // judged on `aadd7a9`: 7 of 64; one risk only its info covered).
    SetFloors { set: "held-out-169", min_folders: 5, precision: (5, 7), recall: (6, 64) },
    SetFloors { set: "held-out-170", min_folders: 5, precision: (2, 2), recall: (6, 65) },
    SetFloors { set: "held-out-171", min_folders: 5, precision: (7, 9), recall: (14, 59) },
    // Recall re-measured at once for `no-dead-letter`'s batch jobs (first
    // judged on `aadd7a9`: 12 of 63; one risk only its info covered).
    SetFloors { set: "held-out-172", min_folders: 5, precision: (6, 6), recall: (11, 63) },
    SetFloors { set: "held-out-173", min_folders: 5, precision: (4, 5), recall: (6, 61) },
    // Floors measured on `held-out-174` to `held-out-181` (SaaS: 2 true of 4
    // warnings, 7 of 63 risks covered; 7 of 10, 12 of 61; 8 of 10, 9 of 66;
    // 12 of 14, 12 of 61; event-driven and ELT: 6 of 8, 5 of 63; 2 of 2, 4
    // of 25; 8 of 10, 12 of 59; 7 of 7, 12 of 66), as first judged on the
    // code of `ac1cd7b`, written and judged from released packages like
    // held-out-118 to 173. Held-out-179 holds two: its writer ran out of
    // time for the other three.
    SetFloors { set: "held-out-174", min_folders: 5, precision: (2, 4), recall: (7, 63) },
    SetFloors { set: "held-out-175", min_folders: 5, precision: (7, 10), recall: (12, 61) },
    SetFloors { set: "held-out-176", min_folders: 5, precision: (8, 10), recall: (9, 66) },
    SetFloors { set: "held-out-177", min_folders: 5, precision: (12, 14), recall: (12, 61) },
    SetFloors { set: "held-out-178", min_folders: 5, precision: (6, 8), recall: (5, 63) },
    SetFloors { set: "held-out-179", min_folders: 2, precision: (2, 2), recall: (4, 25) },
    SetFloors { set: "held-out-180", min_folders: 5, precision: (8, 10), recall: (12, 59) },
    SetFloors { set: "held-out-181", min_folders: 5, precision: (7, 7), recall: (12, 66) },
    // Floors measured on `held-out-182` to `held-out-189` (SaaS: 1 true of 2
    // warnings, 11 of 62 risks covered; 4 of 7, 7 of 66; 8 of 9, 13 of 65;
    // 4 of 5, 8 of 59; event-driven and ELT: 6 of 6, 10 of 61; 6 of 7, 10
    // of 63; 9 of 11, 12 of 61; 4 of 4, 13 of 70), as first judged on the
    // code of `90110f0`, written and judged from released packages like
    // held-out-118 to 181.
    SetFloors { set: "held-out-182", min_folders: 5, precision: (1, 2), recall: (11, 62) },
    SetFloors { set: "held-out-183", min_folders: 5, precision: (4, 7), recall: (7, 66) },
    SetFloors { set: "held-out-184", min_folders: 5, precision: (8, 9), recall: (13, 65) },
    SetFloors { set: "held-out-185", min_folders: 5, precision: (4, 5), recall: (8, 59) },
    SetFloors { set: "held-out-186", min_folders: 5, precision: (6, 6), recall: (10, 61) },
    SetFloors { set: "held-out-187", min_folders: 5, precision: (6, 7), recall: (10, 63) },
    SetFloors { set: "held-out-188", min_folders: 5, precision: (9, 11), recall: (12, 61) },
    SetFloors { set: "held-out-189", min_folders: 5, precision: (4, 4), recall: (13, 70) },
    // Floors measured on `held-out-190` to `held-out-197` (SaaS: 1 true of 2
    // warnings, 11 of 66 risks covered; 5 of 5, 6 of 53; 13 of 18, 19 of
    // 62; 4 of 5, 9 of 60; event-driven and ELT: 1 of 2, 7 of 60; 6 of 7, 12
    // of 65; 2 of 2, 8 of 62; 3 of 5, 7 of 52), as first judged on the code
    // of `5b838e7`, written and judged from released packages like
    // held-out-118 to 189. Held-out-191 holds four: its Intercom tap was
    // written in held-out-195 too, whose copy is kept (and its writer saw a
    // tally of the corpus's judgements after its specs were written); held-out-197
    // holds four: its writer ran out of time for the fifth.
    SetFloors { set: "held-out-190", min_folders: 5, precision: (1, 2), recall: (11, 66) },
    SetFloors { set: "held-out-191", min_folders: 4, precision: (5, 5), recall: (6, 53) },
    SetFloors { set: "held-out-192", min_folders: 5, precision: (13, 18), recall: (19, 62) },
    SetFloors { set: "held-out-193", min_folders: 5, precision: (4, 5), recall: (9, 60) },
    SetFloors { set: "held-out-194", min_folders: 5, precision: (1, 2), recall: (7, 60) },
    SetFloors { set: "held-out-195", min_folders: 5, precision: (6, 7), recall: (12, 65) },
    SetFloors { set: "held-out-196", min_folders: 5, precision: (2, 2), recall: (8, 62) },
    SetFloors { set: "held-out-197", min_folders: 4, precision: (3, 5), recall: (7, 52) },
    // Floors measured on `held-out-198` to `held-out-205` (SaaS: 6 true of 9
    // warnings, 9 of 58 risks covered; 3 of 5, 8 of 57; 8 of 10, 8 of 48; 2
    // of 3, 5 of 50; event-driven and ELT: 3 of 3, 11 of 58; 3 of 6, 8 of
    // 60; 7 of 13, 10 of 68; 3 of 3, 15 of 59), as first judged on the code
    // of `57bedbc`, written and judged from released packages like
    // held-out-118 to 197. Held-out-200 holds four: its Kommo middleware was
    // already in the corpus; held-out-201 holds four: its Grouparoo Zendesk
    // plugin was written in held-out-199 too, whose copy is kept.
    SetFloors { set: "held-out-198", min_folders: 5, precision: (6, 9), recall: (9, 58) },
    SetFloors { set: "held-out-199", min_folders: 5, precision: (3, 5), recall: (8, 57) },
    SetFloors { set: "held-out-200", min_folders: 4, precision: (8, 10), recall: (8, 48) },
    SetFloors { set: "held-out-201", min_folders: 4, precision: (2, 3), recall: (5, 50) },
    SetFloors { set: "held-out-202", min_folders: 5, precision: (3, 3), recall: (11, 58) },
    SetFloors { set: "held-out-203", min_folders: 5, precision: (3, 6), recall: (8, 60) },
    SetFloors { set: "held-out-204", min_folders: 5, precision: (7, 13), recall: (10, 68) },
    SetFloors { set: "held-out-205", min_folders: 5, precision: (3, 3), recall: (15, 59) },
    // Floors measured on `held-out-206` to `held-out-213` (SaaS: 7 true of
    // 10 warnings, 12 of 61 risks covered; none reported, 1 of 47; 6 of 11,
    // 9 of 54; 8 of 11, 17 of 56; event-driven and ELT: 4 of 4, 8 of 45; 1
    // of 2, 8 of 66; 3 of 3, 7 of 62; 2 of 2, 9 of 57), as first judged on
    // the code of `bb1902b`, written and judged from released packages like
    // held-out-118 to 205. Held-out-207 holds four: hookspool was written in
    // held-out-211 too, whose copy is kept; held-out-208 and 210 hold four:
    // django-paddle-billing and cdk-eventbridge-partner-processors were
    // already in the corpus. Held-out-212's judge read earlier folders'
    // judgements to keep its verdicts in line with them.
    SetFloors { set: "held-out-206", min_folders: 5, precision: (7, 10), recall: (12, 61) },
    SetFloors { set: "held-out-207", min_folders: 4, precision: (0, 0), recall: (1, 47) },
    SetFloors { set: "held-out-208", min_folders: 4, precision: (6, 11), recall: (9, 54) },
    SetFloors { set: "held-out-209", min_folders: 5, precision: (8, 11), recall: (17, 56) },
    SetFloors { set: "held-out-210", min_folders: 4, precision: (4, 4), recall: (8, 45) },
    SetFloors { set: "held-out-211", min_folders: 5, precision: (1, 2), recall: (8, 66) },
    SetFloors { set: "held-out-212", min_folders: 5, precision: (3, 3), recall: (7, 62) },
    SetFloors { set: "held-out-213", min_folders: 5, precision: (2, 2), recall: (9, 57) },
    // Floors measured on `held-out-214` to `held-out-221` (SaaS: 13 true of
    // 14 warnings, 14 of 66 risks covered; 4 of 6, 11 of 64; 12 of 19, 11
    // of 68; 11 of 17, 14 of 61; event-driven and ELT: 6 of 12, 15 of 63; 9
    // of 10, 14 of 64; 7 of 8, 14 of 67; 1 of 2, 9 of 66), as first judged
    // on the code of `1c5a5e0`, written and judged from released packages
    // like held-out-118 to 213.
    SetFloors { set: "held-out-214", min_folders: 5, precision: (13, 14), recall: (14, 66) },
    SetFloors { set: "held-out-215", min_folders: 5, precision: (4, 6), recall: (11, 64) },
    SetFloors { set: "held-out-216", min_folders: 5, precision: (12, 19), recall: (11, 68) },
    SetFloors { set: "held-out-217", min_folders: 5, precision: (11, 17), recall: (14, 61) },
    SetFloors { set: "held-out-218", min_folders: 5, precision: (6, 12), recall: (15, 63) },
    SetFloors { set: "held-out-219", min_folders: 5, precision: (9, 10), recall: (14, 64) },
    SetFloors { set: "held-out-220", min_folders: 5, precision: (7, 8), recall: (14, 67) },
    SetFloors { set: "held-out-221", min_folders: 5, precision: (1, 2), recall: (9, 66) },
    // Floors measured on `held-out-222` to `held-out-229` (SaaS: 8 true of
    // 11 warnings, 14 of 66 risks covered; 2 of 3, 2 of 57; 25 of 27, 30 of
    // 63; 4 of 6, 4 of 49; event-driven and ELT: 9 of 11, 18 of 65; 7 of
    // 10, 8 of 62; 3 of 4, 12 of 60; 5 of 5, 11 of 67), as first judged on
    // the code of `1c5a5e0`, written and judged like held-out-214 to 221.
    // Held-out-225 holds four: its ServiceM8 node for n8n was written in
    // held-out-224 too, whose copy is kept.
    SetFloors { set: "held-out-222", min_folders: 5, precision: (8, 11), recall: (14, 66) },
    SetFloors { set: "held-out-223", min_folders: 5, precision: (2, 3), recall: (2, 57) },
    SetFloors { set: "held-out-224", min_folders: 5, precision: (25, 27), recall: (30, 63) },
    SetFloors { set: "held-out-225", min_folders: 4, precision: (4, 6), recall: (4, 49) },
    SetFloors { set: "held-out-226", min_folders: 5, precision: (9, 11), recall: (18, 65) },
    SetFloors { set: "held-out-227", min_folders: 5, precision: (7, 10), recall: (8, 62) },
    SetFloors { set: "held-out-228", min_folders: 5, precision: (3, 4), recall: (12, 60) },
    SetFloors { set: "held-out-229", min_folders: 5, precision: (5, 5), recall: (11, 67) },
    // Floors measured on `held-out-230` to `held-out-237` (SaaS: 2 true of
    // 3 warnings, 8 of 56 risks covered; 3 of 4, 7 of 61; 7 of 11, 6 of 62;
    // 6 of 8, 11 of 61; event-driven and ELT: 7 of 10, 9 of 63; 13 of 14,
    // 12 of 64; 4 of 4, 10 of 62; 4 of 4, 10 of 62), as first judged on the
    // code of `4ede361` (with the changes made after held-out-221), written
    // and judged like held-out-214 to 229.
    SetFloors { set: "held-out-230", min_folders: 5, precision: (2, 3), recall: (8, 56) },
    SetFloors { set: "held-out-231", min_folders: 5, precision: (3, 4), recall: (7, 61) },
    SetFloors { set: "held-out-232", min_folders: 5, precision: (7, 11), recall: (6, 62) },
    SetFloors { set: "held-out-233", min_folders: 5, precision: (6, 8), recall: (11, 61) },
    SetFloors { set: "held-out-234", min_folders: 5, precision: (7, 10), recall: (9, 63) },
    SetFloors { set: "held-out-235", min_folders: 5, precision: (13, 14), recall: (12, 64) },
    SetFloors { set: "held-out-236", min_folders: 5, precision: (4, 4), recall: (10, 62) },
    SetFloors { set: "held-out-237", min_folders: 5, precision: (4, 4), recall: (10, 62) },
    // Floors measured on `held-out-238` to `held-out-245` (SaaS: 8 true of
    // 9 warnings, 16 of 67 risks covered; 5 of 6, 10 of 60; 5 of 9, 5 of
    // 64; 3 of 4, 7 of 59; event-driven and ELT: 4 of 4, 9 of 63; 4 of 5, 7
    // of 61; 8 of 12, 9 of 66; 3 of 4, 8 of 64), as first judged on the
    // code of `4ede361`, written and judged like held-out-230 to 237.
    SetFloors { set: "held-out-238", min_folders: 5, precision: (8, 9), recall: (16, 67) },
    SetFloors { set: "held-out-239", min_folders: 5, precision: (5, 6), recall: (10, 60) },
    SetFloors { set: "held-out-240", min_folders: 5, precision: (5, 9), recall: (5, 64) },
    SetFloors { set: "held-out-241", min_folders: 5, precision: (3, 4), recall: (7, 59) },
    SetFloors { set: "held-out-242", min_folders: 5, precision: (4, 4), recall: (9, 63) },
    SetFloors { set: "held-out-243", min_folders: 5, precision: (4, 5), recall: (7, 61) },
    SetFloors { set: "held-out-244", min_folders: 5, precision: (8, 12), recall: (9, 66) },
    SetFloors { set: "held-out-245", min_folders: 5, precision: (3, 4), recall: (8, 64) },
    // Floors measured on `held-out-246` to `held-out-253` (SaaS: 6 true of
    // 11 warnings, 5 of 61 risks covered; 9 of 11, 7 of 50 (four folders:
    // a fifth was already in the corpus); 6 of 8, 11 of 60; 2 of 4, 7 of
    // 64; event-driven and ELT: 3 of 5, 11 of 59; 1 of 4, 7 of 59; 3 of 4,
    // 7 of 71; 2 of 2, 10 of 63), as first judged on the code of
    // `23c0d35`, written and judged like held-out-238 to 245. Since then an
    // order or a checkout at a payments system is asked at info
    // (`non-idempotent-path`): two false warnings of held-out-246 and one
    // of held-out-248 went; and a receipt e-mail after a sale no longer
    // counts as a step that can fail (`no-compensation`): two more false
    // warnings of held-out-246 went.
    SetFloors { set: "held-out-246", min_folders: 5, precision: (6, 7), recall: (5, 61) },
    SetFloors { set: "held-out-247", min_folders: 4, precision: (9, 11), recall: (7, 50) },
    SetFloors { set: "held-out-248", min_folders: 5, precision: (6, 7), recall: (11, 60) },
    SetFloors { set: "held-out-249", min_folders: 5, precision: (2, 4), recall: (7, 64) },
    SetFloors { set: "held-out-250", min_folders: 5, precision: (3, 5), recall: (11, 59) },
    SetFloors { set: "held-out-251", min_folders: 5, precision: (1, 4), recall: (7, 59) },
    SetFloors { set: "held-out-252", min_folders: 5, precision: (3, 4), recall: (7, 71) },
    SetFloors { set: "held-out-253", min_folders: 5, precision: (2, 2), recall: (10, 63) },
    // Floors measured on `held-out-254` to `held-out-261` (SaaS: 5 true of
    // 8 warnings, 11 of 62 risks covered; 6 of 7, 9 of 63; 8 of 8, 14 of
    // 58; 2 of 2, 5 of 60; event-driven and ELT: 6 of 9, 10 of 66; 3 of 3,
    // 12 of 64; 4 of 5, 9 of 65; 8 of 9, 11 of 66), as first judged on the
    // code of `75e7f5b`, written and judged like held-out-246 to 253.
    SetFloors { set: "held-out-254", min_folders: 5, precision: (5, 8), recall: (11, 62) },
    SetFloors { set: "held-out-255", min_folders: 5, precision: (6, 7), recall: (9, 63) },
    SetFloors { set: "held-out-256", min_folders: 5, precision: (8, 8), recall: (14, 58) },
    SetFloors { set: "held-out-257", min_folders: 5, precision: (2, 2), recall: (5, 60) },
    SetFloors { set: "held-out-258", min_folders: 5, precision: (6, 9), recall: (10, 66) },
    SetFloors { set: "held-out-259", min_folders: 5, precision: (3, 3), recall: (12, 64) },
    SetFloors { set: "held-out-260", min_folders: 5, precision: (4, 5), recall: (9, 65) },
    SetFloors { set: "held-out-261", min_folders: 5, precision: (8, 9), recall: (11, 66) },
    // Floors measured on `held-out-262` to `held-out-269` (SaaS: 11 true of
    // 13 warnings, 23 of 64 risks covered; 11 of 11, 12 of 63; 10 of 12, 13
    // of 51 (four folders: a fifth repeated one of held-out-262's); 0 of 0,
    // 1 of 61; event-driven and ELT: 4 of 6, 7 of 59; 8 of 9, 12 of 63; 5
    // of 5, 8 of 63; 5 of 8, 7 of 64), as first judged on the code of
    // `8376315`, written and judged like held-out-254 to 261.
    SetFloors { set: "held-out-262", min_folders: 5, precision: (11, 13), recall: (23, 64) },
    SetFloors { set: "held-out-263", min_folders: 5, precision: (11, 11), recall: (12, 63) },
    SetFloors { set: "held-out-264", min_folders: 4, precision: (10, 12), recall: (13, 51) },
    SetFloors { set: "held-out-265", min_folders: 5, precision: (0, 0), recall: (1, 61) },
    SetFloors { set: "held-out-266", min_folders: 5, precision: (4, 6), recall: (7, 59) },
    SetFloors { set: "held-out-267", min_folders: 5, precision: (8, 9), recall: (12, 63) },
    SetFloors { set: "held-out-268", min_folders: 5, precision: (5, 5), recall: (8, 63) },
    SetFloors { set: "held-out-269", min_folders: 5, precision: (5, 8), recall: (7, 64) },
    // Floors measured on `held-out-270` to `held-out-277` (SaaS: 5 true of
    // 6 warnings, 13 of 59 risks covered; 2 of 2, 5 of 60; 8 of 15, 10 of
    // 62; 2 of 3, 14 of 64; event-driven and ELT: 4 of 4, 15 of 60; 6 of
    // 6, 10 of 63; 7 of 8, 13 of 65; 1 of 1, 10 of 63), as first judged on
    // the code of `936a910`, written and judged like held-out-262 to 269.
    SetFloors { set: "held-out-270", min_folders: 5, precision: (5, 6), recall: (13, 59) },
    SetFloors { set: "held-out-271", min_folders: 5, precision: (2, 2), recall: (5, 60) },
    SetFloors { set: "held-out-272", min_folders: 5, precision: (8, 15), recall: (10, 62) },
    SetFloors { set: "held-out-273", min_folders: 5, precision: (2, 3), recall: (14, 64) },
    SetFloors { set: "held-out-274", min_folders: 5, precision: (4, 4), recall: (15, 60) },
    SetFloors { set: "held-out-275", min_folders: 5, precision: (6, 6), recall: (10, 63) },
    SetFloors { set: "held-out-276", min_folders: 5, precision: (7, 8), recall: (13, 65) },
    SetFloors { set: "held-out-277", min_folders: 5, precision: (1, 1), recall: (10, 63) },
    // Floors measured on `held-out-278` to `held-out-285` (SaaS: 9 true of
    // 10 warnings, 14 of 66 risks covered; 3 of 4, 7 of 47 (four folders: a
    // fifth repeated one of held-out-280's); 7 of 8, 16 of 63; 2 of 4, 10
    // of 68; event-driven and ELT: 5 of 5, 12 of 62; 11 of 13, 11 of 68; 4
    // of 4, 7 of 53 (four folders: a fifth was a connector already in the
    // corpus); 1 of 3, 2 of 63), as first judged on the code of `e256a63`,
    // written and judged like held-out-270 to 277.
    SetFloors { set: "held-out-278", min_folders: 5, precision: (9, 10), recall: (14, 66) },
    SetFloors { set: "held-out-279", min_folders: 4, precision: (3, 4), recall: (7, 47) },
    SetFloors { set: "held-out-280", min_folders: 5, precision: (7, 8), recall: (16, 63) },
    SetFloors { set: "held-out-281", min_folders: 5, precision: (2, 4), recall: (10, 68) },
    SetFloors { set: "held-out-282", min_folders: 5, precision: (5, 5), recall: (12, 62) },
    SetFloors { set: "held-out-283", min_folders: 5, precision: (11, 13), recall: (11, 68) },
    SetFloors { set: "held-out-284", min_folders: 4, precision: (4, 4), recall: (7, 53) },
    SetFloors { set: "held-out-285", min_folders: 5, precision: (1, 3), recall: (2, 63) },
];

/// A set measured on its own: the folders it must keep at least, and the
/// floors of its precision (warnings judged true, warnings) and recall
/// (risks covered, risks listed), as last measured.
struct SetFloors {
    set: &'static str,
    min_folders: usize,
    precision: (usize, usize),
    recall: (usize, usize),
}

/// One finding as `expected.json` and the JSON report both name it.
type Finding = (String, String, String);

struct Folder {
    name: String,
    /// Every finding with its judgement. Info findings are judged too, but
    /// only to inform: they count neither for precision nor for the exact
    /// match (they may cover a risk).
    judged: Vec<(Finding, bool)>,
    risks: Vec<serde_json::Value>,
    /// The `set` of `expected.json`, for the sets measured on their own
    /// (`held-out-2` to `held-out-9`); `None` for the folders the
    /// first test totals.
    set: Option<String>,
}

fn str_of<'a>(v: &'a serde_json::Value, key: &str, ctx: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{ctx}: `{key}` must be a string"))
}

fn finding_of(v: &serde_json::Value, ctx: &str) -> Finding {
    (str_of(v, "rule", ctx).to_owned(), str_of(v, "severity", ctx).to_owned(), str_of(v, "message", ctx).to_owned())
}

fn counts(severity: &str) -> bool {
    severity == "warning" || severity == "error"
}

/// The names of the rules wireplan has, from `wireplan rules`.
fn known_rules() -> BTreeSet<String> {
    let out = wireplan().args(["rules", "--format", "json"]).output().expect("wireplan runs");
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).expect("`wireplan rules` prints JSON");
    rules.as_array().expect("a list of rules").iter().map(|r| str_of(r, "name", "rules").to_owned()).collect()
}

fn folders() -> Vec<Folder> {
    let known = known_rules();
    let corpus = root().join("tests/realworld");
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .expect("tests/realworld exists")
        .map(|e| e.expect("a readable entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dir = corpus.join(&name);
            for file in ["wireplan.kdl", "SOURCE.md", "expected.json"] {
                assert!(dir.join(file).is_file(), "tests/realworld/{name} has no {file}");
            }
            let source = std::fs::read_to_string(dir.join("SOURCE.md")).unwrap();
            assert!(
                source.contains("http") && source.contains("## Risks"),
                "tests/realworld/{name}/SOURCE.md must give its URL and a `## Risks` section"
            );
            let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
            let expected: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("tests/realworld/{name}/expected.json: {e}"));
            let judged = expected["findings"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: `findings` must be a list"))
                .iter()
                .map(|f| {
                    let ctx = format!("{name}/expected.json");
                    let verdict = f["true"].as_bool().unwrap_or_else(|| panic!("{ctx}: `true` must be a bool"));
                    assert!(!str_of(f, "reason", &ctx).is_empty(), "{ctx}: every judgement gives a reason");
                    (finding_of(f, &ctx), verdict)
                })
                .collect();
            let risks =
                expected["risks"].as_array().unwrap_or_else(|| panic!("{name}: `risks` must be a list")).clone();
            assert!(!risks.is_empty(), "{name}: an architecture with no risks listed");
            // A must-stay-quiet item guards against a rule wireplan has: one
            // it does not have would hold whatever the checks do.
            for risk in &risks {
                if let Some(rule) = risk.get("quiet").map(|q| str_of(q, "rule", &name)) {
                    assert!(known.contains(rule), "{name}: a must-stay-quiet item names `{rule}`, not a rule");
                }
            }
            let set = expected.get("set").map(|v| {
                let set = v.as_str().unwrap_or_else(|| panic!("{name}: `set` must be a string"));
                assert!(SETS.iter().any(|s| s.set == set), "{name}: unknown set `{set}`");
                set.to_owned()
            });
            Folder { name, judged, risks, set }
        })
        .collect()
}

/// The month the corpus is judged in. `retired-api-version` counts from
/// today (a version retired "15 months from now"), so the corpus pins it:
/// its messages stay as judged, whatever day the tests run.
const JUDGED_IN: &str = "2026-12";

fn reported(dir: &Path, name: &str) -> Vec<Finding> {
    let rel = format!("tests/realworld/{name}");
    let out = wireplan()
        .args(["check", &rel, "--format", "json"])
        .env("WIREPLAN_TODAY", JUDGED_IN)
        .current_dir(dir)
        .output()
        .expect("wireplan runs");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{rel}: no JSON report ({e}): {}", stderr(&out)));
    report["diagnostics"].as_array().unwrap().iter().map(|d| finding_of(d, &rel)).collect()
}

/// Checks one folder's report against its judgements, pushing each
/// disagreement onto `problems`, and returns its four counts: warnings
/// judged true, warnings, risks covered, risks listed (a risk that must stay
/// quiet is not counted).
fn check_folder(folder: &Folder, found: &[Finding], problems: &mut Vec<String>) -> [usize; 4] {
    let name = &folder.name;
    let errors: Vec<_> = found.iter().filter(|f| f.1 == "error").collect();
    assert!(errors.is_empty(), "tests/realworld/{name}: the spec has errors: {errors:?}");
    let (mut judged_true, mut judged) = (0, 0);
    let (mut covered, mut listed) = (0, 0);
    // Counted, not only listed: two findings with one message (a flow's
    // two charges, each at its own line) are judged one by one, and a
    // judgement left over from one that is gone must not be counted.
    let mut reported: BTreeMap<&Finding, isize> = BTreeMap::new();
    for f in found.iter().filter(|f| counts(&f.1)) {
        *reported.entry(f).or_default() += 1;
    }
    for (f, _) in folder.judged.iter().filter(|(f, _)| counts(&f.1)) {
        *reported.entry(f).or_default() -= 1;
    }
    for (finding, extra) in reported {
        if extra > 0 {
            problems.push(format!("{name}: a new finding, not judged in expected.json ({extra} more): {finding:?}"));
        } else if extra < 0 {
            problems.push(format!("{name}: a judged finding is no longer reported ({} fewer): {finding:?}", -extra));
        }
    }
    for (finding, verdict) in &folder.judged {
        if counts(&finding.1) {
            judged += 1;
            judged_true += usize::from(*verdict);
        }
    }
    for risk in &folder.risks {
        let id = str_of(risk, "id", name);
        if let Some(quiet) = risk.get("quiet") {
            // A risk the spec already answers: no finding of that rule
            // may name it.
            // `holds: false` records a known misfire (judged false
            // above), so that its fix shows here too.
            let rule = str_of(quiet, "rule", name);
            let mentions = str_of(quiet, "mentions", name);
            let holds = quiet.get("holds").and_then(serde_json::Value::as_bool).unwrap_or(true);
            let reported = found.iter().find(|f| f.0 == rule && f.2.contains(mentions));
            match (holds, reported) {
                (true, Some(f)) => problems.push(format!("{name} {id}: should stay quiet, but: {f:?}")),
                (false, None) => problems.push(format!(
                    "{name} {id}: recorded as a misfire of `{rule}`, which is now quiet: set `holds` to true"
                )),
                _ => {}
            }
            continue;
        }
        listed += 1;
        let rules = risk["covered_by"].as_array().unwrap_or_else(|| panic!("{name} {id}: `covered_by` list"));
        if rules.is_empty() {
            continue;
        }
        covered += 1;
        for rule in rules {
            let rule = rule.as_str().unwrap();
            if !found.iter().any(|f| f.0 == rule) {
                problems.push(format!("{name} {id}: said to be covered by `{rule}`, which is not reported"));
            }
        }
    }
    [judged_true, judged, covered, listed]
}

#[test]
fn the_corpus_reports_exactly_the_judged_findings_and_keeps_its_precision_and_recall() {
    let folders = folders();
    assert!(folders.len() >= MIN_FOLDERS, "the corpus has {} architectures, fewer than {MIN_FOLDERS}", folders.len());
    let (mut judged_true, mut judged) = (0, 0);
    let (mut covered, mut listed) = (0, 0);
    // The same four counts over the held-out architectures alone.
    let mut held_out = [0usize; 4];
    let mut problems = Vec::new();
    for folder in &folders {
        let found = reported(&root(), &folder.name);
        let [t, j, c, l] = check_folder(folder, &found, &mut problems);
        if folder.set.is_some() {
            // Measured on its own, by the test below.
            continue;
        }
        judged_true += t;
        judged += j;
        covered += c;
        listed += l;
        if HELD_OUT.contains(&folder.name.as_str()) {
            for (sum, n) in held_out.iter_mut().zip([t, j, c, l]) {
                *sum += n;
            }
        }
    }
    assert!(problems.is_empty(), "the corpus disagrees with its judgements:\n{}", problems.join("\n"));
    #[allow(clippy::cast_precision_loss)]
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "real-world corpus: {} architectures; precision {judged_true}/{judged} = {:.1}%; recall {covered}/{listed} = {:.1}%",
        folders.iter().filter(|f| f.set.is_none()).count(),
        pct(judged_true, judged),
        pct(covered, listed)
    );
    let [t, j, c, l] = held_out;
    println!(
        "  of which held out ({}): precision {t}/{j} = {:.1}%; recall {c}/{l} = {:.1}%; the rest: precision {}/{} = {:.1}%; recall {}/{} = {:.1}%",
        HELD_OUT.join(", "),
        pct(t, j),
        pct(c, l),
        judged_true - t,
        judged - j,
        pct(judged_true - t, judged - j),
        covered - c,
        listed - l,
        pct(covered - c, listed - l)
    );
    for name in HELD_OUT {
        assert!(folders.iter().any(|f| f.name == *name), "the held-out architecture {name} is not in the corpus");
    }
    assert!(
        judged_true * PRECISION_FLOOR.1 >= PRECISION_FLOOR.0 * judged,
        "precision fell to {judged_true}/{judged}, below the measured {}/{}",
        PRECISION_FLOOR.0,
        PRECISION_FLOOR.1
    );
    assert!(
        covered * RECALL_FLOOR.1 >= RECALL_FLOOR.0 * listed,
        "recall fell to {covered}/{listed}, below the measured {}/{}",
        RECALL_FLOOR.0,
        RECALL_FLOOR.1
    );
}

/// The set a folder is reported in: its `set` field, else `held-out` for the
/// first held-out architectures, else `original`.
fn set_of(folder: &Folder) -> &str {
    match &folder.set {
        Some(set) => set,
        None if HELD_OUT.contains(&folder.name.as_str()) => "held-out",
        None => "original",
    }
}

#[test]
fn each_set_is_reported_apart_and_the_held_out_sets_keep_their_floors() {
    let folders = folders();
    let mut sets: std::collections::BTreeMap<&str, (usize, [usize; 4])> = std::collections::BTreeMap::new();
    // Counts mean nothing where the judgements no longer hold, so a
    // disagreement fails here too.
    let mut problems = Vec::new();
    for folder in &folders {
        let found = reported(&root(), &folder.name);
        let counts = check_folder(folder, &found, &mut problems);
        let entry = sets.entry(set_of(folder)).or_default();
        entry.0 += 1;
        for (sum, n) in entry.1.iter_mut().zip(counts) {
            *sum += n;
        }
    }
    assert!(problems.is_empty(), "the corpus disagrees with its judgements:\n{}", problems.join("\n"));
    #[allow(clippy::cast_precision_loss)]
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!("| set | architectures | precision | recall |");
    println!("| --- | --- | --- | --- |");
    for (set, (n, [t, j, c, l])) in &sets {
        println!("| {set} | {n} | {t}/{j} = {:.1}% | {c}/{l} = {:.1}% |", pct(*t, *j), pct(*c, *l));
    }
    for &SetFloors { set, min_folders: min, precision: (pt, pj), recall: (rc, rl) } in SETS {
        let (n, [t, j, c, l]) = sets.get(set).copied().unwrap_or_default();
        assert!(n >= min, "the set {set} has {n} architectures, fewer than {min}");
        assert!(t * pj >= pt * j, "{set} precision fell to {t}/{j}, below the measured {pt}/{pj}");
        assert!(c * rl >= rc * l, "{set} recall fell to {c}/{l}, below the measured {rc}/{rl}");
    }
}

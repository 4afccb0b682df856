using Hl7.Fhir.Model;
using Twine.Functions.Metrics;

namespace Twine.Functions.Fhir;

/// <summary>
/// What a POST /api/fhir or POST /api/fhir/Observation body became: one result per entry (per Observation), or the
/// failure that refuses the whole request (400 unparseable, 413 too many entries, 422 a business rule). A request
/// with some entries delivered and others skipped or refused is a success: the results say which.
/// </summary>
/// <param name="Kind">batch, transaction, collection, subscription-notification, or observation (a single Observation).</param>
public sealed record FhirMetricsRequest(string Kind, IReadOnlyList<FhirEntryResult> Entries, FhirFailure? Failure)
{
    public int Delivered => Entries.Count(e => e.Outcome == FhirEntryOutcome.Delivered);
    public int Skipped => Entries.Count(e => e.Outcome == FhirEntryOutcome.Skipped);
    public int Refused => Entries.Count(e => e.Outcome == FhirEntryOutcome.Refused);

    /// <summary>The delivered metrics, in entry order.</summary>
    public IReadOnlyList<MappedMetric> DeliveredMetrics() => [.. Entries.Where(e => e.Mapped is not null).Select(e => e.Mapped!)];

    /// <summary>
    /// The 422 to answer when nothing can be delivered and something was refused: one issue per refused entry (its
    /// FHIRPath), skipped entries as information. Null when at least one entry is delivered or none is refused.
    /// </summary>
    public FhirFailure? NothingDeliverable()
    {
        if (Failure is not null || Delivered > 0 || Refused == 0)
        {
            return Failure;
        }

        return OperationOutcomes.BusinessRule(Entries.Select(e => e.Outcome == FhirEntryOutcome.Refused
            ? OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule, e.Reason!, e.Expression)
            : OperationOutcomes.Information(e.Reason ?? "", e.Expression)).Take(FhirLimits.MaxIssues));
    }

    internal static FhirMetricsRequest Failed(string kind, FhirFailure failure) => new(kind, [], failure);
}

/// <summary>
/// Reads FHIR metrics requests: a single Observation (POST /api/fhir/Observation), a Bundle of type batch,
/// transaction or collection whose entries are Observations and the Patients they reference, or an R4 Subscriptions
/// Backport notification (Bundle type history, first entry a SubscriptionStatus-style Parameters) with full-resource
/// content (POST /api/fhir). Pure: nothing is stored or logged.
/// </summary>
public static class FhirBundleReader
{
    public const string Observation = "observation";
    public const string SubscriptionNotification = "subscription-notification";

    /// <summary>POST /api/fhir/Observation: the body must be one Observation.</summary>
    public static FhirMetricsRequest ReadObservation(ReadOnlyMemory<byte> body, FhirPartner partner)
    {
        var parsed = FhirResourceReader.Read(body);
        if (parsed.Failure is { } failure)
        {
            return FhirMetricsRequest.Failed(Observation, failure);
        }

        if (parsed.Resource is not Hl7.Fhir.Model.Observation observation)
        {
            return FhirMetricsRequest.Failed(Observation, OperationOutcomes.Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.NotSupported,
                $"The body is a {parsed.Resource!.TypeName}; POST /api/fhir/Observation takes an Observation (send Bundles to POST /api/fhir).",
                parsed.Resource.TypeName));
        }

        return new(Observation, [FhirObservationMapper.Map(observation, "Observation", partner)], null);
    }

    /// <summary>POST /api/fhir: the body must be a Bundle.</summary>
    public static FhirMetricsRequest ReadBundle(ReadOnlyMemory<byte> body, FhirPartner partner)
    {
        var parsed = FhirResourceReader.Read(body);
        if (parsed.Failure is { } failure)
        {
            return FhirMetricsRequest.Failed("bundle", failure);
        }

        if (parsed.Resource is not Bundle bundle)
        {
            return FhirMetricsRequest.Failed("bundle", OperationOutcomes.Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.NotSupported,
                $"The body is a {parsed.Resource!.TypeName}; POST /api/fhir takes a Bundle (send a single Observation to POST /api/fhir/Observation).",
                parsed.Resource.TypeName));
        }

        return Map(bundle, partner);
    }

    public static FhirMetricsRequest Map(Bundle bundle, FhirPartner partner)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(partner);
        var kind = bundle.Type switch
        {
            Bundle.BundleType.Batch => "batch",
            Bundle.BundleType.Transaction => "transaction",
            Bundle.BundleType.Collection => "collection",
            Bundle.BundleType.History => SubscriptionNotification,
            _ => null,
        };
        if (kind is null)
        {
            return FhirMetricsRequest.Failed("bundle", OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.NotSupported,
                $"A Bundle of type {bundle.TypeElement?.JsonValue ?? "(none)"} is not accepted: send batch, transaction or collection, or a Subscription notification (history).",
                "Bundle.type")]));
        }

        if (bundle.Entry.Count > FhirLimits.MaxBundleEntries)
        {
            return FhirMetricsRequest.Failed(kind, OperationOutcomes.TooLarge(
                $"The Bundle has {bundle.Entry.Count} entries; at most {FhirLimits.MaxBundleEntries} are accepted per request. Split it.", "Bundle.entry"));
        }

        var first = 0;
        if (kind == SubscriptionNotification)
        {
            var notification = CheckNotification(bundle);
            if (notification.Failure is { } failure)
            {
                return FhirMetricsRequest.Failed(kind, failure);
            }

            if (notification.Heartbeat)
            {
                return new(kind, [], null);
            }

            first = 1;
        }

        var duplicate = DuplicateFullUrl(bundle, first);
        if (duplicate is { } at)
        {
            return FhirMetricsRequest.Failed(kind, OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule,
                "Two entries have the same fullUrl; references to it would be ambiguous.", $"Bundle.entry[{at}].fullUrl")]));
        }

        var patients = new FhirBundlePatients();
        for (var i = first; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].Resource is Patient patient)
            {
                patients.Add(bundle.Entry[i].FullUrl, patient, $"Bundle.entry[{i}].resource");
            }
        }

        var results = new List<FhirEntryResult>(bundle.Entry.Count);
        for (var i = first; i < bundle.Entry.Count; i++)
        {
            results.Add(MapEntry(bundle.Entry[i], i, partner, patients));
        }

        return new(kind, results, null);
    }

    private static FhirEntryResult MapEntry(Bundle.EntryComponent entry, int index, FhirPartner partner, FhirBundlePatients patients)
    {
        var path = $"Bundle.entry[{index}].resource";
        switch (entry.Resource)
        {
            case null:
                return FhirEntryResult.Refused(index, $"Bundle.entry[{index}]", "The entry has no resource.");
            case Patient:
                return FhirEntryResult.Skipped(index, path, "A Patient: read to identify the Observations that reference it, not delivered itself.");
            case Hl7.Fhir.Model.Observation observation:
                if (entry.Request?.Method is { } method && method is not (Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT))
                {
                    return FhirEntryResult.Skipped(index, path, $"The entry's request is a {method}: only POST and PUT of Observations are delivered.");
                }

                return FhirObservationMapper.Map(observation, path, partner, patients, index);
            default:
                return FhirEntryResult.Skipped(index, path, $"A {entry.Resource.TypeName}: only Observations are delivered (and Patients read).");
        }
    }

    private static int? DuplicateFullUrl(Bundle bundle, int first)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = first; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].FullUrl is { Length: > 0 } fullUrl && !seen.Add(fullUrl))
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>
    /// The R4 Subscriptions Backport notification: entry[0] a Parameters (SubscriptionStatus) whose <c>type</c> is
    /// event-notification (handshake and heartbeat carry nothing to deliver), and every other entry with its resource.
    /// </summary>
    private static (FhirFailure? Failure, bool Heartbeat) CheckNotification(Bundle bundle)
    {
        if (bundle.Entry.Count == 0 || bundle.Entry[0].Resource is not Parameters status)
        {
            return (OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.NotSupported,
                "A history Bundle is accepted only as a Subscription notification (R4 Subscriptions Backport): its first entry must be the SubscriptionStatus Parameters.",
                "Bundle.entry[0].resource")]), false);
        }

        var typeIndex = status.Parameter.FindIndex(p => p.Name == "type");
        var type = typeIndex < 0 ? null : (status.Parameter[typeIndex].Value as Code)?.Value;
        switch (type)
        {
            case "heartbeat" or "handshake":
                return (null, true);
            case "event-notification":
                break;
            default:
                return (OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.NotSupported,
                    $"The notification's type is {type ?? "missing"}; event-notification (and heartbeat, handshake) are accepted.",
                    typeIndex < 0 ? "Bundle.entry[0].resource.parameter" : $"Bundle.entry[0].resource.parameter[{typeIndex}].value")]), false);
        }

        for (var i = 1; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].Resource is null)
            {
                return (OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.NotSupported,
                    "This notification carries ids only (id-only content): the app does not read resources back from the sender. Subscribe with full-resource content (the Subscription's payload content 'full-resource') so that each entry carries its Observation.",
                    $"Bundle.entry[{i}]")]), false);
            }
        }

        if (bundle.Entry.Count == 1 && status.Parameter.Any(p => p.Name == "notification-event"))
        {
            return (OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.NotSupported,
                "This notification lists events but carries no resources (empty or id-only content): subscribe with full-resource content.",
                "Bundle.entry")]), false);
        }

        return (null, false);
    }
}

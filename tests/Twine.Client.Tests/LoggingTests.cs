using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

/// <summary>Logs carry operation, status, error code and req_id; never what was sent or received.</summary>
public sealed class LoggingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logs_name_operation_status_and_req_id_but_no_patient_data()
    {
        await using var host = await TwineTestHost.StartAsync(services: s => s.AddFakeLogging());
        var collector = host.Services.GetFakeLogCollector();

        var created = await host.Client.CreatePatientAsync(new PatientResource
        {
            Attributes = new PatientAttributes
            {
                FirstName = "Zelda",
                LastName = "Uniquesurname",
                Identifiers = [new PatientIdentifier { System = "logging-test", Value = "MRN-777" }],
            },
            Relationships = new PatientRelationships { Groups = Relationship.ToMany(ResourceIdentifier.Group(Seed.GroupPatientsLead)) },
        }, cancellationToken: Ct);
        await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientsAsync(new Queries.PatientQuery { IdentifierSystem = "logging-test", IdentifierValue = "MRN-777" }, Ct));

        var messages = collector.GetSnapshot().Select(r => r.Message).ToList();
        Assert.Contains(messages, m => m.Contains("createPatient answered 201", StringComparison.Ordinal) && m.Contains($"req_id={created.Meta!.ReqId}", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("createToken answered 201", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("fetchPatients failed with 409 InvalidParameter", StringComparison.Ordinal));
        Assert.All(messages, m =>
        {
            Assert.DoesNotContain("Zelda", m, StringComparison.Ordinal);
            Assert.DoesNotContain("Uniquesurname", m, StringComparison.Ordinal);
            Assert.DoesNotContain("MRN-777", m, StringComparison.Ordinal);
            Assert.DoesNotContain(host.Sandbox.ClientSecret, m, StringComparison.Ordinal);
        });
    }
}

using System.Net;
using System.Text.Json;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Paging;
using Twine.Client.Queries;
using Twine.Client.Serialization;

namespace Twine.Client.Tests;

/// <summary>Serialisation, query strings, next-link resolution and messages, without a server.</summary>
public sealed class UnitTests
{
    [Fact]
    public void Optional_attributes_are_omitted_and_names_are_snake_case()
    {
        var json = JsonSerializer.Serialize(
            new TwineRequest<PatientResource> { Data = new PatientResource { Attributes = new PatientAttributes { FirstName = "A", BirthDate = new DateOnly(1950, 1, 2) } } },
            TwineJsonContext.Default.TwineRequestPatientResource);

        Assert.Equal("""{"data":{"type":"patient","attributes":{"first_name":"A","birth_date":"1950-01-02"}}}""", json);
    }

    [Fact]
    public void MarkNotCompleted_writes_explicit_nulls_and_unset_fields_stay_out()
    {
        var update = new CalendarEventUpdateResource { Id = "e1", Attributes = new CalendarEventUpdateAttributes { Title = "T" }.MarkNotCompleted() };
        var json = JsonSerializer.Serialize(new TwineRequest<CalendarEventUpdateResource> { Data = update }, TwineJsonContext.Default.TwineRequestCalendarEventUpdateResource);

        using var doc = JsonDocument.Parse(json);
        var attributes = doc.RootElement.GetProperty("data").GetProperty("attributes");
        Assert.Equal(JsonValueKind.Null, attributes.GetProperty("completed_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, attributes.GetProperty("completed_by").ValueKind);
        Assert.Equal("T", attributes.GetProperty("title").GetString());
        Assert.False(attributes.TryGetProperty("start_at", out _));

        var untouched = JsonSerializer.Serialize(new TwineRequest<CalendarEventUpdateResource> { Data = new CalendarEventUpdateResource { Id = "e1", Attributes = new() { Title = "T" } } }, TwineJsonContext.Default.TwineRequestCalendarEventUpdateResource);
        Assert.DoesNotContain("completed", untouched, StringComparison.Ordinal);
    }

    [Fact]
    public void Patient_by_identifier_and_group_by_name_are_written_as_meta_query()
    {
        var metric = new TwineRequest<List<PatientHealthMetricResource>>
        {
            Data = [new PatientHealthMetricResource { Relationships = new() { Patient = Relationship.ToOne(ResourceIdentifier.PatientByIdentifier("mrn", "1", "org")) } }],
            Meta = new RequestMeta { IgnoreDuplicates = true },
        };
        var json = JsonSerializer.Serialize(metric, TwineJsonContext.Default.TwineRequestListPatientHealthMetricResource);
        Assert.Contains("""{"patient":{"data":{"type":"patient","meta":{"query":{"identifier":{"system":"mrn","value":"1"},"organization":"org"}}}}}""", json, StringComparison.Ordinal);
        Assert.EndsWith("""],"meta":{"ignore_duplicates":true}}""", json, StringComparison.Ordinal);

        var group = JsonSerializer.Serialize(Relationship.ToMany(ResourceIdentifier.GroupByName("org", "Lead")), TwineJsonContext.Default.Options);
        Assert.Equal("""{"data":[{"type":"group","meta":{"query":{"organization":"org","name":"Lead"}}}]}""", group);
    }

    [Fact]
    public void Relationship_data_reads_as_object_or_array()
    {
        var one = JsonSerializer.Deserialize<Relationship>("""{"data":{"type":"patient","id":"p"}}""", TwineJsonContext.Default.Options)!;
        var many = JsonSerializer.Deserialize<Relationship>("""{"data":[{"type":"action","id":"a"},{"type":"action","id":"b"}]}""", TwineJsonContext.Default.Options)!;
        var none = JsonSerializer.Deserialize<Relationship>("""{"data":null,"links":{"related":"/x"}}""", TwineJsonContext.Default.Options)!;

        Assert.Equal("p", one.Id);
        Assert.False(one.Data!.IsMany);
        Assert.Equal(["a", "b"], many.Ids);
        Assert.Null(none.Data);
        Assert.Equal("/x", none.Links?.Related);
    }

    [Fact]
    public void Query_strings_are_escaped_and_date_ranges_are_start_dot_dot_end()
    {
        var query = new CalendarEventQuery
        {
            Groups = ["g1", "g2"],
            Type = CalendarEventTypes.PlanCheckIn,
            Completed = false,
            StartAt = new DateRange(new DateTimeOffset(2017, 11, 1, 0, 0, 0, TimeSpan.FromHours(-4)), new DateTimeOffset(2017, 12, 1, 0, 0, 0, TimeSpan.FromHours(-5))),
            Include = ["owner"],
            PageLimit = 50,
            PageAfter = "a b&c",
        };

        Assert.Equal(
            "?filter%5Bgroups%5D=g1%2Cg2&filter%5Btype%5D=plan-check-in&filter%5Bcompleted%5D=false"
            + "&filter%5Bstart_at%5D=2017-11-01T00%3A00%3A00.000-04%3A00..2017-12-01T00%3A00%3A00.000-05%3A00"
            + "&include=owner&page%5Blimit%5D=50&page%5Bafter%5D=a%20b%26c",
            query.ToQueryString());
        Assert.Equal("2025-01-01T00:00:00.000+00:00..2025-02-01T00:00:00.000+00:00",
            new DateRange(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero)).ToString());
        Assert.Throws<ArgumentException>(() => new DateRange(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
    }

    [Theory]
    [InlineData("https://twine.example/pub/patient?page%5Bafter%5D=x", "https://twine.example/pub/patient?page%5Bafter%5D=x")]
    [InlineData("/pub/patient?page[number]=2", "https://twine.example/pub/patient?page[number]=2")]
    [InlineData("/patient?page[number]=2", "https://twine.example/pub/patient?page[number]=2")]
    [InlineData("patient?page[number]=2", "https://twine.example/pub/patient?page[number]=2")]
    public void Next_links_resolve_under_the_base_address_keeping_pub(string next, string expected)
    {
        Assert.Equal(new Uri(expected), NextLink.Resolve(new Uri("https://twine.example/pub/"), next, "fetchPatients"));
    }

    [Fact]
    public void A_next_link_to_another_host_is_refused()
    {
        var ex = Assert.Throws<TwineApiException>(() => NextLink.Resolve(new Uri("https://twine.example/pub/"), "https://elsewhere.example/pub/patient", "fetchPatients"));
        Assert.Equal(TwineFailureKind.InvalidResponse, ex.Kind);
    }

    [Fact]
    public void Exception_message_names_codes_and_pointers_but_not_details()
    {
        var ex = new TwineApiException("createPatient", TwineFailureKind.ErrorResponse, HttpStatusCode.Conflict,
            [
                new TwineError { Code = "InvalidBodyParameter", Detail = "first_name 'Fiona' is invalid", Source = new() { Pointer = "/data/attributes/first_name" } },
                new TwineError { Code = "InvalidParameter", Title = "Fiona", Source = new() { Parameter = "include" } },
            ],
            "req-1");

        Assert.Equal("createPatient failed: 409 InvalidBodyParameter (/data/attributes/first_name); InvalidParameter (include) req_id=req-1", ex.Message);
        Assert.DoesNotContain("Fiona", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
        Assert.True(new TwineApiException("x", TwineFailureKind.ErrorResponse, HttpStatusCode.TooManyRequests, null, null).IsTransient);
        Assert.True(new TwineApiException("x", TwineFailureKind.ErrorResponse, HttpStatusCode.BadGateway, null, null).IsTransient);
        Assert.True(new TwineApiException("x", TwineFailureKind.ConnectionFailure, null, null, null).IsTransient);
    }

    [Fact]
    public void Credentials_do_not_print_the_secret()
    {
        Assert.DoesNotContain("s3cret", new Auth.TwineCredentials("id", "s3cret").ToString(), StringComparison.Ordinal);
    }
}

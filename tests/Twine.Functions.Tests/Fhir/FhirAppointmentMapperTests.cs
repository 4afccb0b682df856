using System.Text.Json.Nodes;
using static Twine.Functions.Tests.Fhir.FhirFixtures;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Fhir;

namespace Twine.Functions.Tests.Fhir;

/// <summary>PUT and DELETE /api/fhir/Appointment/{id}: every status, the PUT body the calendar route accepts, and the 422s with their FHIRPaths.</summary>
public sealed class FhirAppointmentMapperTests
{
    private const string OwnerId = "5817ead56f5316c0d05ba8bf";

    private static FhirAppointmentRequest Put(JsonObject appointment, FhirPartner? partner = null, string id = "appt-1") =>
        FhirAppointmentMapper.ReadPut(id, Bytes(appointment), partner ?? Partner());

    private static CalendarEventRequest AssertCalendarRouteAccepts(FhirAppointmentUpsert upsert)
    {
        var read = CalendarEventRequestReader.ReadPut(upsert.ExternalId, Bytes(upsert.Body(OwnerId)));
        Assert.True(read.Accepted is not null,
            "CalendarEventRequestReader refused the mapped body: " + read.MalformedReason + string.Join("; ", read.Errors.Select(e => $"{e.Pointer} {e.Detail}")));
        return read;
    }

    [Theory]
    [InlineData("proposed")]
    [InlineData("pending")]
    [InlineData("booked")]
    [InlineData("arrived")]
    [InlineData("fulfilled")]
    [InlineData("checked-in")]
    [InlineData("waitlist")]
    public void Statuses_other_than_cancelled_noshow_and_entered_in_error_create_or_update_the_event(string status)
    {
        var upsert = Assert.IsType<FhirAppointmentUpsert>(Put(Appointment(status: status)).Action);
        AssertCalendarRouteAccepts(upsert);
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("noshow")]
    [InlineData("entered-in-error")]
    public void Cancelled_noshow_and_entered_in_error_delete_the_event(string status)
    {
        var delete = Assert.IsType<FhirAppointmentDelete>(Put(Appointment(status: status)).Action);
        Assert.Equal("fhir-appointment-appt-1", delete.ExternalId);
        Assert.Contains(status, delete.Reason, StringComparison.Ordinal);
        Assert.NotNull(CalendarEventRequestReader.ReadDelete(delete.ExternalId, Bytes(delete.Body())).Accepted);
    }

    [Fact]
    public void A_DELETE_deletes_the_event_keyed_by_the_Appointment_id()
    {
        var delete = Assert.IsType<FhirAppointmentDelete>(FhirAppointmentMapper.ReadDelete("appt-1").Action);
        Assert.NotNull(CalendarEventRequestReader.ReadDelete(delete.ExternalId, Bytes(delete.Body())).Accepted);
        Assert.Equal(400, FhirAppointmentMapper.ReadDelete("a/b").Failure?.StatusCode);
    }

    [Fact]
    public void A_booked_Appointment_maps_every_attribute()
    {
        var upsert = Assert.IsType<FhirAppointmentUpsert>(Put(Appointment()).Action);

        Assert.Equal("fhir-appointment-appt-1", upsert.ExternalId);
        Assert.Equal(("acme-fhir-patient", "pat-1", Organization), (upsert.Owner.System, upsert.Owner.Value, upsert.Owner.Organization));
        var body = upsert.Body(OwnerId);
        Assert.Equal("fhir-appointment-appt-1", body["meta"]!["external_id"]!.GetValue<string>());
        var attributes = body["data"]!["attributes"]!;
        Assert.Equal("telephone-call", attributes["type"]!.GetValue<string>()); // serviceType wins over appointmentType
        Assert.Equal("Blood pressure follow-up", attributes["title"]!.GetValue<string>());
        Assert.Equal("Bring the home cuff.", attributes["description"]!.GetValue<string>());
        Assert.Equal("Clinic room 3", attributes["location"]!.GetValue<string>());
        Assert.False(attributes["all_day"]!.GetValue<bool>());
        Assert.Equal("2026-11-30T15:00:00+00:00", attributes["start_at"]!.GetValue<string>());
        Assert.Equal("2026-11-30T15:30:00+00:00", attributes["end_at"]!.GetValue<string>());
        var attendees = attributes["attendees"]!.AsArray();
        Assert.Equal([(Coach1, "tentative"), (Coach2, "needsAction")],
            attendees.Select(a => (a!["user"]!.GetValue<string>(), a["response_status"]!.GetValue<string>())));
        Assert.Equal(OwnerId, body["data"]!["relationships"]!["owner"]!["data"]!["id"]!.GetValue<string>());
        AssertCalendarRouteAccepts(upsert);
    }

    [Fact]
    public void MinutesDuration_gives_the_end_and_the_start_keeps_its_offset()
    {
        var appointment = Appointment();
        appointment.Remove("end");
        appointment["start"] = "2026-11-30T09:00:00-05:00";
        appointment["minutesDuration"] = 45;

        var upsert = Assert.IsType<FhirAppointmentUpsert>(Put(appointment).Action);
        var attributes = upsert.Event["attributes"]!;
        Assert.Equal("2026-11-30T09:00:00-05:00", attributes["start_at"]!.GetValue<string>());
        Assert.Equal("2026-11-30T09:45:00-05:00", attributes["end_at"]!.GetValue<string>());
        AssertCalendarRouteAccepts(upsert);
    }

    [Fact]
    public void The_type_comes_from_appointmentType_then_the_default_and_without_a_default_it_is_422()
    {
        var appointment = Appointment();
        appointment.Remove("serviceType");
        Assert.Equal("office-visit", Assert.IsType<FhirAppointmentUpsert>(Put(appointment).Action).Event["attributes"]!["type"]!.GetValue<string>());

        appointment["appointmentType"] = new JsonObject { ["coding"] = new JsonArray(Coding("http://example.org/visit-kinds", "video")) };
        Assert.Equal("video-call", Assert.IsType<FhirAppointmentUpsert>(Put(appointment).Action).Event["attributes"]!["type"]!.GetValue<string>());

        appointment["appointmentType"] = new JsonObject { ["coding"] = new JsonArray(Coding("http://example.org/visit-kinds", "house-call")) };
        Assert.Equal("office-visit", Assert.IsType<FhirAppointmentUpsert>(Put(appointment).Action).Event["attributes"]!["type"]!.GetValue<string>());

        var failure = Put(appointment, Partner(o => o.DefaultEventType = null)).Failure;
        Assert.Equal(422, failure?.StatusCode);
        Assert.Equal(["Appointment.appointmentType"], Assert.Single(failure!.Issues).Expression);
    }

    [Fact]
    public void Without_a_description_the_title_is_the_types_text()
    {
        var appointment = Appointment();
        appointment.Remove("description");
        appointment.Remove("comment");

        var upsert = Assert.IsType<FhirAppointmentUpsert>(Put(appointment).Action);
        Assert.Equal("Telephone encounter", upsert.Event["attributes"]!["title"]!.GetValue<string>());
        Assert.False(upsert.Event["attributes"]!.AsObject().ContainsKey("description"));
        AssertCalendarRouteAccepts(upsert);
    }

    [Fact]
    public void The_owner_by_identifier_uses_the_partners_system_mapping()
    {
        var appointment = Appointment();
        appointment["participant"]![0]!["actor"] = new JsonObject { ["type"] = "Patient", ["identifier"] = new JsonObject { ["system"] = MrnSystem, ["value"] = "MRN-7" } };

        var owner = Assert.IsType<FhirAppointmentUpsert>(Put(appointment).Action).Owner;
        Assert.Equal(("medical-record-number", "MRN-7"), (owner.System, owner.Value));
        Assert.DoesNotContain("MRN-7", owner.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unmapped_Practitioner_is_422_at_its_participant()
    {
        var appointment = Appointment();
        appointment["participant"]![1]!["actor"] = new JsonObject { ["reference"] = "Practitioner/locum-9" };

        var failure = Put(appointment).Failure;
        Assert.Equal(422, failure?.StatusCode);
        Assert.Equal(["Appointment.participant[1].actor"], Assert.Single(failure!.Issues).Expression);
    }

    [Fact]
    public void Everything_that_cannot_be_mapped_is_listed_in_one_422()
    {
        var appointment = Appointment();
        appointment.Remove("start");
        appointment["participant"]!.AsArray().RemoveAt(0);
        appointment["participant"]![0]!["actor"] = new JsonObject { ["reference"] = "Practitioner/locum-9" };

        var failure = Put(appointment).Failure;
        Assert.Equal(422, failure?.StatusCode);
        Assert.Equal(["Appointment.start", "Appointment.participant", "Appointment.participant[0].actor"], failure!.Issues.Select(i => i.Expression.Single()));
    }

    [Fact]
    public void Two_Patient_participants_are_422()
    {
        var appointment = Appointment();
        appointment["participant"]!.AsArray().Add(new JsonObject { ["actor"] = new JsonObject { ["reference"] = "Patient/pat-2" }, ["status"] = "accepted" });
        Assert.Equal(["Appointment.participant"], Assert.Single(Put(appointment).Failure!.Issues).Expression);
    }

    [Fact]
    public void An_unmappable_Patient_participant_is_422_at_its_actor()
    {
        var failure = Put(Appointment(), Partner(o => o.PatientIdSystem = null)).Failure;
        Assert.Equal(["Appointment.participant[0].actor.reference"], Assert.Single(failure!.Issues).Expression);
    }

    [Theory]
    [InlineData("2026-11-30T15:00:00Z", "2026-12-01T09:00:00Z", "Appointment.end")]
    [InlineData("2026-11-30T15:00:00Z", "2026-11-30T14:00:00Z", "Appointment.end")]
    [InlineData("2026-11-30T15:00:00Z", null, "Appointment.end")]
    public void Times_Twine_cannot_hold_are_422_at_the_end(string start, string? end, string expression)
    {
        var appointment = Appointment();
        appointment["start"] = start;
        appointment["end"] = end;
        if (end is null)
        {
            appointment.Remove("end");
        }

        Assert.Equal([expression], Assert.Single(Put(appointment).Failure!.Issues).Expression);
    }

    [Theory]
    [InlineData("appt-2")]
    [InlineData(null)]
    public void The_body_id_must_equal_the_URL_id(string? id)
    {
        var appointment = Appointment();
        appointment["id"] = id;
        if (id is null)
        {
            appointment.Remove("id");
        }

        var failure = Put(appointment).Failure;
        Assert.Equal(400, failure?.StatusCode);
        Assert.Equal(["Appointment.id"], Assert.Single(failure!.Issues).Expression);
    }

    [Fact]
    public void Another_resource_or_an_invalid_body_is_400()
    {
        Assert.Equal(400, Put(Observation()).Failure?.StatusCode);
        Assert.Equal(400, FhirAppointmentMapper.ReadPut("appt-1", "{"u8.ToArray(), Partner()).Failure?.StatusCode);
        Assert.Equal(400, FhirAppointmentMapper.ReadPut("bad id", Bytes(Appointment()), Partner()).Failure?.StatusCode);
    }
}

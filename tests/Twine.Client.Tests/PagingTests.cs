using Twine.Client.Models;
using Twine.Client.Paging;
using Twine.Client.Queries;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

/// <summary>Both paging styles, following links.next across several pages.</summary>
public sealed class PagingTests : IAsyncLifetime
{
    private const int Metrics = 11;
    private TwineTestHost _host = null!;
    private HashSet<string> _created = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _host = await TwineTestHost.StartAsync();

        // A patient of our own, so the collection holds exactly what the test made.
        var patient = await _host.Client.CreatePatientAsync(new PatientResource
        {
            Attributes = new PatientAttributes { FirstName = "Page", LastName = "Turner" },
            Relationships = new PatientRelationships { Groups = Relationship.ToMany(ResourceIdentifier.Group(Seed.GroupTeamHealth)) },
        }, cancellationToken: Ct);
        PatientId = patient.Data!.Id!;

        var start = new DateTimeOffset(2025, 1, 1, 7, 0, 0, TimeSpan.Zero);
        var metrics = Enumerable.Range(0, Metrics).Select(i => new PatientHealthMetricResource
        {
            Attributes = new PatientHealthMetricAttributes { Type = "heart_rate", Value = 60 + i, Unit = "bpm", OccurredAt = start.AddHours(i) },
            Relationships = new PatientHealthMetricRelationships { Patient = Relationship.ToOne(ResourceIdentifier.Patient(PatientId)) },
        }).ToList();
        var created = await _host.Client.CreatePatientHealthMetricAsync(metrics, ignoreDuplicates: false, Ct);
        _created = created.Data.Select(m => m.Id!).ToHashSet();
        Assert.Equal(Metrics, _created.Count);
    }

    private string PatientId { get; set; } = "";

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Skip_based_paging_reads_every_page()
    {
        var pages = new List<TwinePage<PatientHealthMetricResource>>();
        await foreach (var page in _host.Client.FetchPatientHealthMetricsPagesAsync(new PatientHealthMetricQuery { Patient = PatientId, PageSize = 4 }, Ct))
        {
            pages.Add(page);
        }

        Assert.Equal([4, 4, 3], pages.Select(p => p.Data.Count));
        Assert.All(pages, p => Assert.Equal(Metrics, p.Meta?.Count));
        Assert.False(pages[^1].HasNextPage);
        Assert.Equal(_created, pages.SelectMany(p => p.Data).Select(m => m.Id!).ToHashSet());
        Assert.Equal(3, _host.Sandbox.RequestCount("GET", "/patient_health_metric"));
    }

    [Fact]
    public async Task Cursor_based_paging_reads_every_page()
    {
        var pages = new List<TwinePage<PatientHealthMetricResource>>();
        await foreach (var page in _host.Client.FetchPatientHealthMetricsPagesAsync(new PatientHealthMetricQuery { Patient = PatientId, PageLimit = 5 }, Ct))
        {
            pages.Add(page);
        }

        Assert.Equal([5, 5, 1], pages.Select(p => p.Data.Count));
        Assert.Equal(_created, pages.SelectMany(p => p.Data).Select(m => m.Id!).ToHashSet());
        Assert.Equal(3, _host.Sandbox.RequestCount("GET", "/patient_health_metric"));
    }

    [Fact]
    public async Task Every_list_operation_pages_to_its_meta_count()
    {
        var c = _host.Client;
        await AssertPagesAsync(c.FetchCalendarEventsPagesAsync(new CalendarEventQuery { Patient = Seed.Patient, PageSize = 2 }, Ct));
        await AssertPagesAsync(c.FetchCalendarEventsPagesAsync(new CalendarEventQuery { Organization = Seed.Organization, PageLimit = 2, Sort = "start_at" }, Ct));
        await AssertPagesAsync(c.FetchGroupsPagesAsync(new GroupQuery { Organization = Seed.Organization, PageSize = 1 }, Ct));
        await AssertPagesAsync(c.FetchEmailHistoriesPagesAsync(new EmailHistoryQuery { Sender = Seed.Coach, PageLimit = 1 }, Ct));
        await AssertPagesAsync(c.FetchHealthProfilesPagesAsync(new HealthProfileQuery { Organization = Seed.Organization, PageSize = 1 }, Ct));
        await AssertPagesAsync(c.FetchHealthProfileAnswersPagesAsync(new HealthProfileAnswerQuery { Organization = Seed.Organization, PageLimit = 2 }, Ct));
        await AssertPagesAsync(c.FetchHealthQuestionDefinitionsPagesAsync(new HealthQuestionDefinitionQuery { PageSize = 2 }, Ct));
        await AssertPagesAsync(c.FetchPatientsPagesAsync(new PatientQuery { Groups = [Seed.GroupPatientsLead, Seed.GroupTeamHealth], PageSize = 5 }, Ct));

        static async Task AssertPagesAsync<T>(IAsyncEnumerable<TwinePage<T>> pages)
            where T : class
        {
            var count = 0;
            var total = -1;
            var pageCount = 0;
            await foreach (var page in pages)
            {
                pageCount++;
                count += page.Data.Count;
                total = page.Meta?.Count ?? -1;
            }

            Assert.True(pageCount >= 2, $"{typeof(T).Name}: {pageCount} page(s)");
            Assert.Equal(total, count);
        }
    }

    [Fact]
    public async Task The_resources_of_every_page_are_read_as_one_sequence()
    {
        var ids = new List<string>();
        await foreach (var metric in _host.Client.FetchPatientHealthMetricsPagesAsync(new PatientHealthMetricQuery { Patient = PatientId, PageSize = 3 }, Ct).ResourcesAsync(Ct))
        {
            ids.Add(metric.Id!);
        }

        Assert.Equal(_created, ids.ToHashSet());
        Assert.Equal(Metrics, ids.Count);
        Assert.Equal(4, _host.Sandbox.RequestCount("GET", "/patient_health_metric"));
    }

    [Fact]
    public async Task A_single_page_or_only_the_count_can_be_fetched()
    {
        var countOnly = await _host.Client.FetchPatientHealthMetricsAsync(new PatientHealthMetricQuery { Patient = PatientId, PageSize = 0 }, Ct);
        var second = await _host.Client.FetchPatientHealthMetricsAsync(new PatientHealthMetricQuery { Patient = PatientId, PageSize = 4, PageNumber = 2 }, Ct);

        Assert.Empty(countOnly.Data);
        Assert.Equal(Metrics, countOnly.Meta?.Count);
        Assert.Equal(4, second.Data.Count);
        Assert.True(second.HasNextPage);
    }

    [Fact]
    public async Task Patients_filtered_on_a_created_at_range_are_paged_without_repeats()
    {
        // Seeded patients were created in 2024; ours at the fake clock's 2025.
        var range = new DateRange(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5)), new DateTimeOffset(2024, 12, 1, 0, 0, 0, TimeSpan.FromHours(-5)));
        var ids = new List<string>();
        var pages = 0;
        await foreach (var page in _host.Client.FetchPatientsPagesAsync(new PatientQuery { Organization = Seed.Organization, CreatedAt = range, PageLimit = 4 }, Ct))
        {
            pages++;
            ids.AddRange(page.Data.Select(p => p.Id!));
        }

        Assert.True(pages >= 3, $"{pages} pages");
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(PatientId, ids);
        Assert.Contains(Seed.Patient, ids);
    }

    [Fact]
    public async Task Mixing_the_two_styles_is_refused_before_sending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _host.Client.FetchPatientHealthMetricsAsync(new PatientHealthMetricQuery { Patient = PatientId, PageSize = 2, PageLimit = 2 }, Ct));
        Assert.Equal(0, _host.Sandbox.RequestCount("GET", "/patient_health_metric"));
    }
}

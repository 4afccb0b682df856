using Microsoft.Extensions.Configuration;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Twine.Client;
using Twine.Functions.Platform.Secrets;
using Twine.Functions.Platform.Storage;

namespace Twine.Infra.Tests;

/// <summary>
/// The app settings the template gives the function app against the configuration keys the app binds (found by
/// reflection, see <see cref="AppConfiguration"/>) and against local.settings.sample.json: a renamed option, a new
/// required setting or a typo in the template fails here instead of at the app's first start in Azure.
/// </summary>
public sealed partial class AppSettingsContractTests(DeploymentFixture deployment, ProductionDeploymentFixture production)
{
    /// <summary>Connections of the Functions host itself (its storage).</summary>
    private const string HostStorage = "AzureWebJobsStorage";

    /// <summary>Settings read by the platform or the Azure SDK rather than by an options class.</summary>
    private static readonly string[] PlatformSettings =
    [
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        // DefaultAzureCredential's choice of user-assigned identity (AppCredential reads it after TwineStorage__clientId).
        "AZURE_CLIENT_ID",
    ];

    /// <summary>
    /// Settings of features still being built: allowed only while no options class or binding expression of the app
    /// has their section. Once the app has the section (e.g. a timer with %PollTwineUpdates:Schedule%), the setting
    /// is checked like every other one, so a different name in the app fails this test.
    /// </summary>
    private static readonly string[] PendingSettings =
    [
        "PollTwineUpdates__Schedule",
        "PollTwineUpdates__Organization",
        "PollTwineUpdates__EmailSenders",
        "PollTwineUpdates__EmailHashKey",
        "PollTwineUpdates__EmailHistoryTable",
        "PollTwineUpdates__CalendarEventsTable",
        "PollTwineUpdates__CheckpointsTable",
    ];

    /// <summary>
    /// Settings the template writes ahead of an app change that is being made elsewhere (issue 16): allowed while the
    /// app's options class has no such property, checked like every other setting once it has. The email hash key is
    /// read from the vault by name with SecretClient (like the Twine credentials) instead of arriving as a Key Vault
    /// reference in PollTwineUpdates__EmailHashKey: PollingOptions gains EmailHashKeySecretName.
    /// </summary>
    internal static readonly string[] SettingsAheadOfTheApp = [];

    /// <summary>The identity-based form of a connection: https://learn.microsoft.com/azure/azure-functions/functions-reference#configure-an-identity-based-connection.</summary>
    private static readonly string[] IdentityConnectionProperties =
        ["credential", "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"];

    /// <summary>Settings that must never be in Azure: secrets, connection strings (with keys), or refused by Flex Consumption.</summary>
    private static readonly string[] ForbiddenSettings =
    [
        "Twine__ClientId",
        "Twine__ClientSecret",
        HostStorage,
        StorageConnectionOptions.SettingName,
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTSHARE",
        "APPINSIGHTS_INSTRUMENTATIONKEY",
    ];

    private IReadOnlySet<string> TemplateSettings =>
        deployment.AppSettings.Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static IEnumerable<string> Connections =>
        new[] { HostStorage, StorageConnectionOptions.SettingName }.Concat(AppConfiguration.TriggerConnections)
            .Distinct(StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Reflection_finds_the_options_the_app_binds()
    {
        // Guards the tests below against passing on an empty key set.
        Assert.Contains(TwineClientOptions.SectionName, AppConfiguration.OptionsSections.Keys);
        Assert.Contains(TwineSecretsOptions.SectionName, AppConfiguration.OptionsSections.Keys);
        Assert.Contains(StorageOptions.SectionName, AppConfiguration.OptionsSections.Keys);
        Assert.Contains("Twine__BaseAddress", AppConfiguration.OptionsKeys);
        Assert.Contains("Twine__EnableRetries", AppConfiguration.OptionsKeys);
        Assert.Contains("Twine__Resilience__AttemptTimeout__Timeout", AppConfiguration.OptionsKeys);
        Assert.Contains("Twine__Resilience__Retry__MaxRetryAttempts", AppConfiguration.OptionsKeys);
        Assert.Contains("Twine__Resilience__CircuitBreaker__SamplingDuration", AppConfiguration.OptionsKeys);
        Assert.DoesNotContain("Twine__MaxRetryAttempts", AppConfiguration.OptionsKeys);
        Assert.Contains("Storage__MetricsQueue", AppConfiguration.BindingExpressionKeys);
        Assert.Contains(StorageConnectionOptions.SettingName, AppConfiguration.TriggerConnections);
        Assert.Contains("Storage__IngestionsTable", AppConfiguration.RequiredKeys);

        // Named options: FhirPartnerOptions per partner, scalar properties and list items.
        Assert.True(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__Organization"));
        Assert.True(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__IdentifierSystems__0__FhirSystem"));
        Assert.True(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__EventTypes__12__TwineType"));
        Assert.True(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__DefaultEventType"));
        Assert.False(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__Organisation"));
        Assert.False(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__IdentifierSystems"));
        Assert.False(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__IdentifierSystems__x__FhirSystem"));
        Assert.False(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__IdentifierSystems__0__System"));
        Assert.False(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__ac-me__Organization"));
        Assert.False(AppConfiguration.IsNamedOptionsKey("Fhir__Partners__acme__Practitioners__0__TwineUser__x"));
    }

    [Fact]
    public void Partners_fhir_settings_from_the_parameter_bind_to_the_apps_options_and_pass_its_validation()
    {
        var settings = production.AppSettings.Where(s => s.Key.StartsWith("Fhir__", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(settings);
        Assert.All(settings, s => Assert.True(AppConfiguration.IsNamedOptionsKey(s.Key), s.Key));
        Assert.All(settings, s => Assert.StartsWith("Fhir__Partners__Contoso2__", s.Key, StringComparison.Ordinal));
        Assert.DoesNotContain(deployment.AppSettings, s => s.Key.StartsWith("Fhir__", StringComparison.Ordinal)); // none by default

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();
        var options = new Twine.Functions.Fhir.FhirPartnerOptions();
        configuration.GetSection($"{Twine.Functions.Fhir.FhirPartnerOptions.SectionPrefix}:Contoso2").Bind(options);
        foreach (var result in new[]
                 {
                     new Twine.Functions.Fhir.FhirPartnerOptionsValidator().Validate("Contoso2", options),
                     new Twine.Functions.Fhir.FhirPartnerMappingsValidator().Validate("Contoso2", options),
                 })
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }

        Assert.Equal(DeploymentFixture.TwineOrganization, options.Organization);
        Assert.Equal(["http://hospital.example.org/mrn", "urn:oid:2.16.840.1.113883.4.1"], options.IdentifierSystems.Select(m => m.FhirSystem));
        Assert.Equal("contoso-fhir-patient", options.PatientIdSystem);
        Assert.Equal(["Practitioner/dr-who", "http://hl7.org/fhir/sid/us-npi|1234567893"], options.Practitioners.Select(m => m.Practitioner));
        Assert.Equal([("http://snomed.info/sct", "185317003", "telephone-call"), (null, "VR", "video-call")],
            options.EventTypes.Select(m => (m.System, m.Code, m.TwineType)));
        Assert.Equal("office-visit", options.DefaultEventType);
    }

    [Theory]
    [InlineData("""[{"partner":"zeta","organization":"58c4554710123c5c40dbab81","identifierSystems":[]}]""", "'zeta' is not in webhookPartners")]
    [InlineData("""[{"partner":"acme","organization":"58c4554710123c5c40dbab81","identifierSystems":[]},{"partner":"ACME","organization":"58c4554710123c5c40dbab81","identifierSystems":[]}]""", "fhirPartners lists a partner twice")]
    [InlineData("""[{"partner":"acme","organization":"acme-org","identifierSystems":[]}]""", "must be Twine ids (24 hexadecimal digits); not so for 'acme'")]
    public async Task Bad_fhir_partner_settings_fail_the_deployment_with_the_reason(string fhirPartners, string message)
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["TWINE_FHIR_PARTNERS"] = fhirPartners };

        var run = await DeploymentFixture.TrySnapshotAsync(environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void The_template_sets_every_setting_the_app_requires()
    {
        var missing = AppConfiguration.RequiredKeys.Where(k => !TemplateSettings.Contains(k)).Order().ToList();

        Assert.True(missing.Count == 0, "main.bicep (modules/functionapp.bicep) does not set: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_template_sets_no_setting_the_app_does_not_read() => AssertOnlySettingsTheAppReads(TemplateSettings);

    [Fact]
    public void The_production_profile_with_every_option_set_sets_no_setting_the_app_does_not_read()
    {
        var settings = production.AppSettings.Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Contains("PollTwineUpdates__EmailHashKeySecretName", settings); // the optional ones are there
        AssertOnlySettingsTheAppReads(settings);
    }

    private static void AssertOnlySettingsTheAppReads(IReadOnlySet<string> settings)
    {
        var unknown = new List<string>();
        foreach (var name in settings)
        {
            if (PlatformSettings.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var parts = name.Split("__", 2);
            if (parts.Length != 2)
            {
                unknown.Add($"{name} (no option or platform setting has this name)");
                continue;
            }

            var (section, key) = (parts[0], parts[1]);
            if (IsPartnerSecretName(name) || AppConfiguration.IsNamedOptionsKey(name))
            {
                continue;
            }

            if (Connections.Contains(section, StringComparer.OrdinalIgnoreCase))
            {
                if (!IdentityConnectionProperties.Contains(key, StringComparer.OrdinalIgnoreCase))
                {
                    unknown.Add($"{name} (not a property of an identity-based connection)");
                }
            }
            else if (AppConfiguration.KnownSections.Contains(section))
            {
                if (!AppConfiguration.OptionsKeys.Contains(name) && !AppConfiguration.BindingExpressionKeys.Contains(name)
                    && !SettingsAheadOfTheApp.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    unknown.Add($"{name} (section {section} has no such key: {string.Join(", ", AppConfiguration.OptionsKeys.Concat(AppConfiguration.BindingExpressionKeys).Where(k => k.StartsWith(section + "__", StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase).Order())})");
                }
            }
            else if (!PendingSettings.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                unknown.Add($"{name} (no options class or binding expression has section {section})");
            }
        }

        Assert.True(unknown.Count == 0, "The template sets settings the app does not read: " + string.Join("; ", unknown));
    }

    /// <summary>Webhooks__Partners__{partner}__SecretName: a dictionary entry of WebhooksOptions.Partners, which reflection cannot list.</summary>
    private static bool IsPartnerSecretName(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, "^Webhooks__Partners__[A-Za-z0-9]+__SecretName$")
        && typeof(Twine.Functions.Partners.WebhooksOptions).GetProperty(nameof(Twine.Functions.Partners.WebhooksOptions.Partners)) is not null
        && typeof(Twine.Functions.Partners.PartnerOptions).GetProperty(nameof(Twine.Functions.Partners.PartnerOptions.SecretName)) is not null;

    [Fact]
    public void Each_webhook_partner_gets_the_name_of_its_Key_Vault_secret_and_no_secret()
    {
        var setting = Assert.Single(deployment.AppSettings, s => s.Key.StartsWith("Webhooks__", StringComparison.Ordinal));

        Assert.Equal($"Webhooks__Partners__{DeploymentFixture.WebhookPartner}__SecretName", setting.Key);
        Assert.Equal($"webhook-secret-{DeploymentFixture.WebhookPartner}", setting.Value);
        Assert.True(IsPartnerSecretName(setting.Key));
    }

    [Fact]
    public void The_template_sets_no_secret_and_no_connection_string()
    {
        Assert.All(ForbiddenSettings, name => Assert.DoesNotContain(name, TemplateSettings));
        Assert.All(deployment.AppSettings, s =>
        {
            Assert.DoesNotContain("AccountKey=", s.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", s.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listKeys(", s.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listSecrets(", s.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("getSecret(", s.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("InstrumentationKey=", s.Value, StringComparison.OrdinalIgnoreCase);
        });

        // No setting holds a key or a secret, and none is a Key Vault reference: every secret is read by the app from
        // the vault, by name, with its identity.
        var secretLike = deployment.AppSettings.Concat(production.AppSettings).Where(s => SecretLikeSetting().IsMatch(s.Key)).ToList();
        Assert.Empty(secretLike);
        Assert.All(deployment.AppSettings.Concat(production.AppSettings), s => Assert.DoesNotContain("@Microsoft.KeyVault(", s.Value, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_email_hash_key_is_named_for_the_app_to_read_from_the_vault_never_a_key_vault_reference()
    {
        // Dev names no hash key: no setting at all, so the poller stores no addresses.
        Assert.DoesNotContain(deployment.AppSettings, s => s.Key.StartsWith("PollTwineUpdates__EmailHashKey", StringComparison.OrdinalIgnoreCase));

        // With TWINE_EMAIL_HASH_KEY_SECRET_NAME: the secret's name, read from the vault the Twine secrets come from.
        Assert.Equal(ProductionDeploymentFixture.EmailHashKeySecretName, production.AppSetting("PollTwineUpdates__EmailHashKeySecretName"));
        Assert.Matches(SecretName(), production.AppSetting("PollTwineUpdates__EmailHashKeySecretName"));
        var vault = DeploymentFixture.ShortName(production.Single("Microsoft.KeyVault/vaults"));
        Assert.Contains($"Microsoft.KeyVault/vaults/{vault}'", production.AppSetting("TwineSecrets__VaultUri"));
        Assert.Null(production.AppSetting("PollTwineUpdates__EmailHashKey"));

        // The app binds the secret name (PollingOptions.EmailHashKeySecretName); the old key setting is retired from the template.
        Assert.Contains("PollTwineUpdates__EmailHashKeySecretName", AppConfiguration.OptionsKeys);
    }

    [Fact]
    public async Task A_bad_email_hash_key_secret_name_fails_the_deployment_with_its_name()
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["TWINE_EMAIL_HASH_KEY_SECRET_NAME"] = "email_hash_key" };

        var run = await DeploymentFixture.TrySnapshotAsync(environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("emailHashKeySecretName 'email_hash_key' is not a Key Vault secret name", run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_polling_setting_is_set_from_its_parameter_and_passes_the_apps_validation()
    {
        var options = new Twine.Functions.Platform.Polling.PollingOptions();
        foreach (var property in AppConfiguration.BindableProperties(typeof(Twine.Functions.Platform.Polling.PollingOptions)))
        {
            var value = deployment.AppSetting(AppConfiguration.SettingName(Twine.Functions.Platform.Polling.PollingOptions.SectionName, property.Name));
            if (value is null)
            {
                continue;
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(options, type == typeof(TimeSpan)
                ? TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
                : Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var key in new[] { "Schedule", "Organization", "EmailSenders", "EmailOverlap", "CalendarOverlap", "TimeBudget", "PageSize" })
        {
            Assert.NotNull(deployment.AppSetting("PollTwineUpdates__" + key));
        }

        var result = new Twine.Functions.Platform.Polling.PollingOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
        var defaults = new Twine.Functions.Platform.Polling.PollingOptions();
        Assert.Equal(defaults.EmailOverlap, options.EmailOverlap);
        Assert.Equal(defaults.CalendarOverlap, options.CalendarOverlap);
        Assert.Equal(defaults.TimeBudget, options.TimeBudget);
        Assert.Equal(defaults.PageSize, options.PageSize);
    }

    [Fact]
    public async Task Polling_settings_come_from_azd_variables()
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment)
        {
            ["TWINE_POLL_SCHEDULE"] = "0 */10 * * * *",
            ["TWINE_POLL_EMAIL_OVERLAP"] = "12:00:00",
            ["TWINE_POLL_CALENDAR_OVERLAP"] = "00:10:00",
            ["TWINE_POLL_TIME_BUDGET"] = "00:08:00",
            ["TWINE_POLL_PAGE_SIZE"] = "25",
            ["TWINE_EMAIL_SENDERS"] = " 5a0c8e27a9d454cc150997c9 ,581630c3237d84a9403533c6,",
        };

        var (resources, _) = await DeploymentFixture.SnapshotAsync(environment);

        var settings = resources.Single(r => (string?)r["type"] == "Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string?)s!["value"]);
        Assert.Equal("0 */10 * * * *", settings["PollTwineUpdates__Schedule"]);
        Assert.Equal("12:00:00", settings["PollTwineUpdates__EmailOverlap"]);
        Assert.Equal("00:10:00", settings["PollTwineUpdates__CalendarOverlap"]);
        Assert.Equal("00:08:00", settings["PollTwineUpdates__TimeBudget"]);
        Assert.Equal("25", settings["PollTwineUpdates__PageSize"]);
        Assert.Equal("5a0c8e27a9d454cc150997c9,581630c3237d84a9403533c6", settings["PollTwineUpdates__EmailSenders"]);
    }

    [Fact]
    public void Every_storage_connection_uses_the_apps_managed_identity()
    {
        var clientId = deployment.AppSetting("AZURE_CLIENT_ID");
        Assert.NotNull(clientId);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", clientId);

        // The host's storage: blobs (leases, keys, timers), queues and tables.
        AssertIdentityConnection(HostStorage, ["blobServiceUri", "queueServiceUri", "tableServiceUri"]);

        // The app's connection: the service URIs StorageConnectionOptions reads, for every connection a trigger names.
        var serviceUris = AppConfiguration.BindableProperties(typeof(StorageConnectionOptions))
            .Where(p => p.PropertyType == typeof(Uri))
            .Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..])
            .ToArray();
        Assert.Equal(["queueServiceUri", "tableServiceUri"], serviceUris.Order());
        foreach (var connection in Connections.Where(c => !string.Equals(c, HostStorage, StringComparison.OrdinalIgnoreCase)))
        {
            AssertIdentityConnection(connection, serviceUris);
        }

        void AssertIdentityConnection(string connection, string[] services)
        {
            Assert.Equal("managedidentity", deployment.AppSetting($"{connection}__credential"));
            Assert.Equal(clientId, deployment.AppSetting($"{connection}__clientId"));
            foreach (var service in services)
            {
                var uri = deployment.AppSetting($"{connection}__{service}");
                Assert.True(uri is not null, $"{connection}__{service} is not set");
                var endpoint = service.Replace("ServiceUri", "", StringComparison.Ordinal);
                Assert.Contains($"Microsoft.Storage/storageAccounts/", uri);
                Assert.EndsWith($".primaryEndpoints.{endpoint}]", uri);
            }
        }
    }

    [Fact]
    public void Application_insights_is_reached_with_the_identity()
    {
        Assert.Contains(".ConnectionString]", deployment.AppSetting("APPLICATIONINSIGHTS_CONNECTION_STRING"));
        var authentication = deployment.AppSetting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
        Assert.NotNull(authentication);
        Assert.StartsWith("[format('ClientId={0};Authorization=AAD', reference('", authentication);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", authentication);
    }

    [Fact]
    public void The_twine_credentials_come_from_the_vault_the_template_creates()
    {
        var vault = deployment.Single("Microsoft.KeyVault/vaults");
        var vaultUri = deployment.AppSetting("TwineSecrets__VaultUri");
        Assert.NotNull(vaultUri);
        Assert.Contains($"Microsoft.KeyVault/vaults/{DeploymentFixture.ShortName(vault)}'", vaultUri);
        Assert.EndsWith(".vaultUri]", vaultUri);

        // Names of secrets, never values: valid Key Vault secret names.
        foreach (var name in new[] { "TwineSecrets__ClientIdSecretName", "TwineSecrets__ClientSecretSecretName" })
        {
            Assert.Matches(SecretName(), deployment.AppSetting(name));
        }

        Assert.Equal(new TwineSecretsOptions().ClientIdSecretName, deployment.AppSetting("TwineSecrets__ClientIdSecretName"));
        Assert.Equal(new TwineSecretsOptions().ClientSecretSecretName, deployment.AppSetting("TwineSecrets__ClientSecretSecretName"));
        Assert.Empty(deployment.OfType("Microsoft.KeyVault/vaults/secrets"));
    }

    [Fact]
    public void Every_vault_secret_shares_one_time_to_live_which_the_app_accepts()
    {
        // One setting for the Twine credentials and the partners' webhook secrets; the retired Webhooks one is not set.
        var setting = deployment.AppSetting("TwineSecrets__CacheTimeToLive");
        Assert.NotNull(setting);
        Assert.DoesNotContain("Webhooks__CacheTimeToLive", TemplateSettings);

        var options = new TwineSecretsOptions { CacheTimeToLive = TimeSpan.Parse(setting, System.Globalization.CultureInfo.InvariantCulture) };
        var result = new TwineSecretsOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(new TwineSecretsOptions().CacheTimeToLive, options.CacheTimeToLive); // what a laptop uses
    }

    [Fact]
    public void Every_queue_and_table_setting_names_a_queue_or_table_the_template_creates()
    {
        var queues = deployment.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(DeploymentFixture.ShortName).ToHashSet();
        var tables = deployment.OfType("Microsoft.Storage/storageAccounts/tableServices/tables").Select(DeploymentFixture.ShortName).ToHashSet();

        // Every options class of the app: a *Table or *Queue property names a table or queue the template creates.
        var names = AppConfiguration.OptionsSections
            .SelectMany(s => AppConfiguration.BindableProperties(s.Value).Select(p => AppConfiguration.SettingName(s.Key, p.Name)))
            .Concat(PendingSettings)
            .Where(k => k.EndsWith("Table", StringComparison.Ordinal) || k.EndsWith("Queue", StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        Assert.True(names.Count >= 9, string.Join(", ", names));
        foreach (var name in names)
        {
            var value = deployment.AppSetting(name);
            Assert.True(value is not null, $"{name} is not set");
            Assert.Contains(value, name.EndsWith("Table", StringComparison.Ordinal) ? tables : queues);
        }

        // Azure uses the names a laptop uses: the options' defaults.
        foreach (var (section, type) in AppConfiguration.OptionsSections)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                continue;
            }

            var defaults = Activator.CreateInstance(type)!;
            foreach (var property in AppConfiguration.BindableProperties(type)
                         .Where(p => p.PropertyType == typeof(string) && (p.Name.EndsWith("Table", StringComparison.Ordinal) || p.Name.EndsWith("Queue", StringComparison.Ordinal))))
            {
                Assert.Equal((string?)property.GetValue(defaults), deployment.AppSetting(AppConfiguration.SettingName(section, property.Name)));
            }
        }

        var options = new StorageOptions();
        foreach (var property in AppConfiguration.BindableProperties(typeof(StorageOptions)))
        {
            var value = deployment.AppSetting(AppConfiguration.SettingName(StorageOptions.SectionName, property.Name));
            Assert.True(value is not null, $"Storage__{property.Name} is not set");
            property.SetValue(options, value);

            if (property.Name.EndsWith("Queue", StringComparison.Ordinal))
            {
                Assert.Contains(value, queues);
                Assert.Contains(value + "-poison", queues); // where the host moves messages that keep failing
            }
            else
            {
                Assert.Contains(value, tables);
            }
        }

        // The names pass the app's own start-up validation.
        var result = new StorageOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);

        // Tables of the timer that polls Twine.
        Assert.Subset(tables, new HashSet<string> { "EmailHistory", "CalendarEvents", "PollCheckpoints", "EmailRecheck" });
    }

    [Fact]
    public void The_poll_schedule_is_a_six_field_ncrontab_expression()
    {
        var schedule = deployment.AppSetting("PollTwineUpdates__Schedule");
        Assert.Equal("0 */5 * * * *", schedule);
        Assert.Equal(6, schedule!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void The_twine_base_address_is_an_absolute_https_url_ending_in_pub()
    {
        var address = deployment.AppSetting("Twine__BaseAddress");
        Assert.True(Uri.TryCreate(address, UriKind.Absolute, out var uri), address);
        Assert.Equal("https", uri.Scheme);
        Assert.EndsWith("/pub/", uri.AbsolutePath);
    }

    [Fact]
    public void Every_local_setting_has_its_azure_counterpart()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("local.settings.sample.json")))!["Values"]!.AsObject();
        var uncovered = new List<string>();
        foreach (var (name, value) in sample)
        {
            if (TemplateSettings.Contains(name))
            {
                continue;
            }

            switch (name)
            {
                case "FUNCTIONS_WORKER_RUNTIME":
                    // Flex Consumption takes the runtime from functionAppConfig instead of this setting.
                    Assert.Equal((string?)value, (string?)deployment.Site["properties"]!["functionAppConfig"]!["runtime"]!["name"]);
                    continue;
                case "Twine__ClientId" or "Twine__ClientSecret":
                    // Laptop credentials; in Azure they are Key Vault secrets (TwineSecrets__*), never settings.
                    Assert.Contains("TwineSecrets__VaultUri", TemplateSettings);
                    continue;
                case var fhir when AppConfiguration.IsNamedOptionsKey(fhir):
                    // A laptop partner's FHIR settings; in Azure the fhirPartners parameter (TWINE_FHIR_PARTNERS) writes
                    // the same keys for the deployment's partners.
                    Assert.Contains(production.AppSettings, s => s.Key.StartsWith("Fhir__Partners__", StringComparison.Ordinal));
                    continue;
                case var partnerSecret when partnerSecret.StartsWith("Webhooks__Partners__", StringComparison.Ordinal)
                                             && partnerSecret.Contains("__Secrets__", StringComparison.Ordinal):
                    // A laptop partner's signing secret; in Azure partners' secrets are Key Vault secrets
                    // (webhook-secret-<partner>, docs/INGESTION-API.md), never settings.
                    Assert.Contains("TwineSecrets__VaultUri", TemplateSettings);
                    continue;
            }

            if (Connections.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                // A connection string locally (Azurite); the identity-based form in Azure.
                Assert.Contains($"{name}__credential", TemplateSettings);
                continue;
            }

            uncovered.Add(name);
        }

        Assert.True(uncovered.Count == 0, "local.settings.sample.json has settings the template does not set: " + string.Join(", ", uncovered));
    }

    [GeneratedRegex("(Key|Secret|Password)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeSetting();

    [GeneratedRegex("^[0-9A-Za-z-]{1,127}$")]
    private static partial Regex SecretName();
}

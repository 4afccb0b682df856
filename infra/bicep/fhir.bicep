// Partners' FHIR settings (docs/FHIR.md#partner-settings): the type of main.bicep's fhirPartners parameter and the app
// settings it becomes, Fhir__Partners__<partner>__<setting> (the app's named options FhirPartnerOptions). FHIR system
// URIs hold ':', a configuration separator, so mappings are lists of pairs (…__IdentifierSystems__0__FhirSystem).

@export()
@description('A Twine calendar event type an Appointment can become (plan-check-in has no times, an Appointment has).')
type twineEventType = 'reminder' | 'telephone-call' | 'office-visit' | 'video-call'

@export()
@description('One partner\'s FHIR settings (FhirPartnerOptions).')
type fhirPartner = {
  @description('The partner: a name in webhookPartners (1 to 64 letters or digits); it signs its FHIR requests with its webhook secret.')
  partner: string

  @description('The Twine organization the partner\'s patients are looked up in (24 hexadecimal digits).')
  organization: string

  @description('FHIR identifier systems (URIs) and the Twine identifier system each one\'s values are in.')
  identifierSystems: {
    @description('Identifier.system, e.g. http://hospital.example.org/mrn or urn:oid:1.2.3.')
    fhirSystem: string
    @description('The Twine identifier system, e.g. medical-record-number.')
    twineSystem: string
  }[]

  @description('The Twine identifier system whose values are the partner\'s FHIR Patient ids (literal Patient/{id} references); omitted: such references are refused.')
  patientIdSystem: string?

  @description('Practitioners (Practitioner/<id> or <system>|<value>) and the Twine users (coaches) they attend as.')
  practitioners: {
    practitioner: string
    @description('Twine user id (24 hexadecimal digits).')
    twineUser: string
  }[]?

  @description('Appointment serviceType/appointmentType codes and the Twine event types they become (no system: the code in any system).')
  eventTypes: {
    system: string?
    code: string
    twineType: twineEventType
  }[]?

  @description('The event type of an Appointment no eventTypes row matches (the app\'s default: office-visit).')
  defaultEventType: twineEventType?
}

@export()
@description('The app settings of the partners\' FHIR settings, as name/value pairs.')
func fhirAppSettings(partners fhirPartner[]) object[] =>
  flatten(map(
    partners,
    p =>
      flatten([
        [
          {
            name: 'Fhir__Partners__${p.partner}__Organization'
            value: p.organization
          }
        ]
        flatten(map(range(0, length(p.identifierSystems)), i => [
          {
            name: 'Fhir__Partners__${p.partner}__IdentifierSystems__${i}__FhirSystem'
            value: p.identifierSystems[i].fhirSystem
          }
          {
            name: 'Fhir__Partners__${p.partner}__IdentifierSystems__${i}__TwineSystem'
            value: p.identifierSystems[i].twineSystem
          }
        ]))
        empty(p.?patientIdSystem ?? '')
          ? []
          : [
              {
                name: 'Fhir__Partners__${p.partner}__PatientIdSystem'
                value: p.?patientIdSystem
              }
            ]
        flatten(map(range(0, length(p.?practitioners ?? [])), i => [
          {
            name: 'Fhir__Partners__${p.partner}__Practitioners__${i}__Practitioner'
            value: p.practitioners![i].practitioner
          }
          {
            name: 'Fhir__Partners__${p.partner}__Practitioners__${i}__TwineUser'
            value: p.practitioners![i].twineUser
          }
        ]))
        flatten(map(
          range(0, length(p.?eventTypes ?? [])),
          i =>
            flatten([
              empty(p.eventTypes![i].?system ?? '')
                ? []
                : [
                    {
                      name: 'Fhir__Partners__${p.partner}__EventTypes__${i}__System'
                      value: p.eventTypes![i].?system
                    }
                  ]
              [
                {
                  name: 'Fhir__Partners__${p.partner}__EventTypes__${i}__Code'
                  value: p.eventTypes![i].code
                }
                {
                  name: 'Fhir__Partners__${p.partner}__EventTypes__${i}__TwineType'
                  value: p.eventTypes![i].twineType
                }
              ]
            ])
        ))
        empty(p.?defaultEventType ?? '')
          ? []
          : [
              {
                name: 'Fhir__Partners__${p.partner}__DefaultEventType'
                value: p.?defaultEventType
              }
            ]
      ])
  ))

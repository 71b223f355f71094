; Godkend per-user Windows installer (no administrator rights needed).
; Built by scripts/package.sh nsis:
;   makensis -WX -DVERSION=0.1.0 -DEXE=path\to\godkend.exe -DICON=godkend.ico -DOUTFILE=setup.exe godkend.nsi
; Silent install: setup.exe /S [/AUTOSTART]; silent uninstall: uninstall.exe /S.
; It installs godkend.exe under %LOCALAPPDATA%\Programs\Godkend, a Start-menu entry,
; the godkend:// link scheme (so an activation link opens the app), an entry in
; Apps & features, and optionally start at login. The app finds uninstall.exe beside
; itself (src/uninstall.rs) to offer removal after this computer is revoked.

Unicode true
Target amd64-unicode

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef EXE
  !define EXE "godkend.exe"
!endif
!ifndef ICON
  !define ICON "godkend.ico"
!endif
!ifndef OUTFILE
  !define OUTFILE "godkend-${VERSION}-setup.exe"
!endif

!define APPNAME "Godkend"
; The uninstall key, and the Run value the app's own "start at login" setting writes
; (godkend-core autostart.rs: the auto-launch crate names it after the app).
!define APPKEY "Godkend"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPKEY}"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define SCHEMEKEY "Software\Classes\godkend"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APPKEY}"
InstallDirRegKey HKCU "Software\${APPKEY}" "InstallDir"
RequestExecutionLevel user
SetCompressor /SOLID lzma
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "FileDescription" "${APPNAME} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "The Godkend authors; MIT OR Apache-2.0"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\godkend.exe"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Danish"

Section "!${APPNAME}" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "/oname=godkend.exe" "${EXE}"
  File "/oname=godkend.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\${APPKEY}" "InstallDir" "$INSTDIR"

  ; godkend://activate?... opens the app with the link as its one argument.
  WriteRegStr HKCU "${SCHEMEKEY}" "" "URL:Godkend activation link"
  WriteRegStr HKCU "${SCHEMEKEY}" "URL Protocol" ""
  WriteRegStr HKCU "${SCHEMEKEY}\DefaultIcon" "" '"$INSTDIR\godkend.ico"'
  WriteRegStr HKCU "${SCHEMEKEY}\shell\open\command" "" '"$INSTDIR\godkend.exe" "%1"'

  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "The Godkend authors"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" '"$INSTDIR\godkend.ico"'
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegStr HKCU "${UNINSTKEY}" "URLInfoAbout" "https://github.com/godkend/godkend"
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" "$0"

  CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\godkend.exe" "" "$INSTDIR\godkend.ico"
SectionEnd

; The same value the app's settings toggle writes, so either can turn it off.
Section /o "Start ${APPNAME} when I sign in" SecAutostart
  WriteRegStr HKCU "${RUNKEY}" "${APPKEY}" '"$INSTDIR\godkend.exe" --tray'
SectionEnd

; Silent installs: `setup.exe /S /AUTOSTART` also selects start at login.
Function .onInit
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  ; A label, not a relative jump: SelectSection expands to several instructions.
  IfErrors no_autostart
    !insertmacro SelectSection ${SecAutostart}
  no_autostart:
FunctionEnd

Section "Uninstall"
  DeleteRegValue HKCU "${RUNKEY}" "${APPKEY}"
  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  Delete "$INSTDIR\godkend.exe"
  Delete "$INSTDIR\godkend.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${SCHEMEKEY}"
  DeleteRegKey HKCU "${UNINSTKEY}"
  DeleteRegKey HKCU "Software\${APPKEY}"
SectionEnd
